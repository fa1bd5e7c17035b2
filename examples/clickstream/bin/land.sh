#!/bin/sh
# Land what the producer delivered: each new file of inbox/DAY/ becomes a
# data file of the partition dt=DAY of raw/clicks, as it arrived (gzip'd),
# write-once.  A file landed before is skipped (same name, size and
# xxh128), so this runs again and again: cron runs it (README.md), and
# `make` runs it for a day whose raw partition lost its _SUCCESS.
#
#   bin/land.sh DAY...
#
# Each partition published is then held to rules/raw/clicks.rules, and to
# holding only clicks of its day.  A day that fails does not keep the
# others from landing; the exit status is then 1.
set -u
cd "$(dirname "$0")/.." || exit
S=${DH_STATE:-state}
err=$(mktemp)
trap 'rm -f "$err"' EXIT
status=0
for day in "$@"; do
	part=raw/clicks/dt=$day
	out=$(dh-ingest -s "$S" --wait 300 -p "dt=$day" raw/clicks "inbox/$day" 2>"$err")
	rc=$?
	# the files landed on earlier runs are skipped, a message each, and a
	# partition invalidated is published again, with a message: not news
	grep -v -e ': already ingested ' -e ': published again$' "$err" >&2
	if [ $rc -ne 0 ]; then
		status=1
	elif [ -n "$out" ]; then
		bin/check.sh -e "match(ts,'^${day}T')" "$part" || status=1
	fi
done
exit $status
