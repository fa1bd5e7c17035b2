#!/bin/sh
# The producer: the click exporter of the web shop, simulated.  For each
# DAY it exports that day's clicks into inbox/DAY/ as gzip'd JSON lines,
# four files of six hours each (clicks-DAYT00.jsonl.gz ... T18), written
# below inbox/DAY/_incoming and moved up when complete, so that dh-ingest
# never lands half a file.
#
#   bin/produce.sh [--until HH] [--since HH] DAY...
#
#   --until HH   the export breaks down at HH:00: the files of the hours
#                from HH on are missing
#   --since HH   export only the files of the hours from HH on (a resend
#                of what a broken export missed)
#
# The clicks come from dh's generator (scripts/gen.c: GEN, else
# ../../build/tools/gen, else gen in PATH), EVENTS a day (default 5000), the
# same for the same DAY: with re-deliveries, reused event ids, late and
# out-of-order events, as real feeds have them.
set -eu
cd "$(dirname "$0")/.." || exit
if [ -z "${GEN:-}" ]; then
	GEN=gen
	[ ! -x ../../build/tools/gen ] || GEN=$PWD/../../build/tools/gen
fi
command -v "$GEN" >/dev/null || {
	echo "$0: no generator $GEN: run make at the top of dh, or set GEN" >&2
	exit 2
}
EVENTS=${EVENTS:-5000}
since=0
until=24
while [ $# -gt 0 ]; do
	case $1 in
	--since) since=${2#0}; shift 2 ;;
	--until) until=${2#0}; shift 2 ;;
	-*) echo "usage: $0 [--until HH] [--since HH] DAY..." >&2; exit 2 ;;
	*) break ;;
	esac
done

for day in "$@"; do
	# gen writes three days from 2026-11-20; its middle day, 2026-11-21,
	# is a whole day: take it, moved to DAY (date and epoch time).
	seed=$(echo "$day" | tr -d -)
	shift_s=$(( $(date -u -d "$day" +%s) - $(date -u -d 2026-11-21 +%s) ))
	mkdir -p "inbox/$day/_incoming"
	"$GEN" -n $((EVENTS * 3)) -f jsonl -s "$seed" |
	awk -v day="$day" -v shift_s="$shift_s" -v since="$since" \
	    -v until="$until" -v dir="inbox/$day/_incoming" '
	index($0, "\"ts\":\"2026-11-21T") {
		sub(/"ts":"2026-11-21/, "\"ts\":\"" day)
		if (match($0, /"ts_epoch":"[0-9]+/)) {
			e = substr($0, RSTART + 12, RLENGTH - 12) + shift_s
			$0 = substr($0, 1, RSTART + 11) sprintf("%.0f", e) \
			    substr($0, RSTART + RLENGTH)
		}
		match($0, /"ts":"[0-9-]+T/)
		hour = substr($0, RSTART + RLENGTH, 2) + 0
		if (hour < since || hour >= until)
			next
		f = sprintf("%s/clicks-%sT%02d.jsonl.gz", dir, day, int(hour / 6) * 6)
		print | ("gzip -n > " f)
	}'
	for f in "inbox/$day/_incoming"/*.jsonl.gz; do
		if [ -e "$f" ]; then mv "$f" "inbox/$day/"; fi
	done
	rmdir "inbox/$day/_incoming"
done
