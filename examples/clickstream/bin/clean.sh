#!/bin/bash
# clean/clicks, partition dt=DAY: the clicks of raw/clicks/dt=DAY without
# duplicates (the first of each event_id is kept: the producer re-sends
# clicks), without the user agent and the epoch copy of ts, partitioned by
# the day of the event time.
#
#   bin/clean.sh DAY
set -u -o pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.." || exit
S=${DH_STATE:-state}
day=$1
in=$S/raw/clicks/dt=$day

dh-dedup -k event_id "$in" |
dh-convert --fields event_id,user_id,session_id,event_type,ts,url,referrer,country,device,price,event_details |
dh-partition -s "$S" --wait 300 --by dt=ts:day --from "$self" --from "$in" clean/clicks ||
{ dh-invalidate -s "$S" --wait 300 "clean/clicks/dt=$day" >/dev/null; exit 1; }
