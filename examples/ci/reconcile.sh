#!/bin/sh
# Reconcile the Drift table of a ledger export against control totals: for cron or any CI.
#
#   examples/ci/reconcile.sh [MORE KFOLLOW RECONCILE OPTIONS, e.g. --strict --tolerance 1]
#
# Writes, in OUT_DIR:
#   reconcile-report.xml  JUnit XML for the CI's test report (a testcase per check and finding)
#   reconcile-report.txt  the same findings for people (also printed on stdout); last line:
#                         "reconcile 2024 months 1–8: 11 checks, 0 errors, …: OK"
#
# Settings, from the environment (the defaults are the example next to this folder):
#   LEDGER   the ledger export (.xlsx or .csv)        [../ks-2024.xlsx]
#   CONFIG   kfollow.toml with the account rules      [../kfollow.toml]
#   CONTROL  the control totals, rad;kolumn;belopp    [../control-totals.csv]
#   OUT_DIR  where the reports go                     [the current folder]
#   FILTER   which rows make the table, split at spaces; FILTER= for the whole ledger
#                                                     [--exclude verksamhet=289]
#   KFOLLOW  the kfollow program                      [kfollow, from PATH]
#
# Exit code: kfollow reconcile's, unchanged, so that cron mails and CI jobs fail on it:
#   0  no check found an error (warnings and info may be listed in the reports)
#   1  a check found an error (with --strict: or a warning): the table does not reconcile
#   2  usage error: an unknown option, a file that does not exist
#   3  the input cannot be used: an unreadable export, a bad control-totals file
#   For 2 and 3 kfollow writes no report; this script writes both with kfollow's message, so
#   that the CI's test report shows why. 127: kfollow was not found (this script's own code).
#
# cron, weekdays at 06:30 (cron's PATH is short: name kfollow by its full path):
#   30 6 * * 1-5  LEDGER=/data/huvudbok.xlsx OUT_DIR=/data/rapporter KFOLLOW=/opt/kfollow/bin/kfollow /opt/kfollow/examples/ci/reconcile.sh
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
examples=$(dirname -- "$here")
LEDGER=${LEDGER:-$examples/ks-2024.xlsx}
CONFIG=${CONFIG:-$examples/kfollow.toml}
CONTROL=${CONTROL:-$examples/control-totals.csv}
OUT_DIR=${OUT_DIR:-.}
FILTER=${FILTER-"--exclude verksamhet=289"}
KFOLLOW=${KFOLLOW:-kfollow}

junit=$OUT_DIR/reconcile-report.xml
text=$OUT_DIR/reconcile-report.txt
mkdir -p -- "$OUT_DIR"
rm -f -- "$junit" "$text" # never leave the last run's reports behind

if ! command -v "$KFOLLOW" >/dev/null 2>&1; then
    echo "reconcile.sh: '$KFOLLOW' not found: install kfollow (pip install kfollow's repository) or set KFOLLOW" >&2
    exit 127
fi

# The arguments: FILTER split at spaces (not globbed), then this script's own.
set -f
# shellcheck disable=SC2086
set -- "$LEDGER" --config "$CONFIG" --control "$CONTROL" $FILTER "$@"
set +f

# One run writes both reports (each in the format its ending names). With -o, stdout is empty
# and stderr holds the summary line or the error messages. `|| status=$?` keeps set -e from
# exiting on 1-3.
status=0
messages=$("$KFOLLOW" reconcile "$@" -o "$junit" -o "$text" 2>&1) || status=$?

if [ "$status" -le 1 ]; then
    cat -- "$text"
else
    # Usage error or unusable input: no report from kfollow. Say why, in both reports.
    printf '%s\n' "$messages" >&2
    printf '%s\nreconcile: kfollow could not run (exit %s)\n' "$messages" "$status" >"$text"
    escaped=$(printf '%s' "$messages" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g')
    first=$(printf '%s\n' "$escaped" | sed -n 1p)
    cat >"$junit" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="kfollow" tests="1" failures="0" errors="1">
  <testsuite name="kfollow reconcile" tests="1" failures="0" errors="1" skipped="0" time="0">
    <testcase classname="kfollow.reconcile" name="kfollow reconcile (exit $status)">
      <error message="$first" type="exit $status">$escaped</error>
    </testcase>
  </testsuite>
</testsuites>
EOF
fi
exit "$status"
