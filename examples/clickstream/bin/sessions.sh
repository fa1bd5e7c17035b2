#!/bin/bash
# agg/sessions, partition dt=DAY: each user's sessions of the day, a
# session ending after 30 minutes without a click (dh-agg session
# windows): its start and end, the clicks, the distinct pages and what was
# put in the cart or bought.  A session is cut at midnight UTC.
#
#   bin/sessions.sh DAY
set -u -o pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.." || exit
S=${DH_STATE:-state}
day=$1
in=$S/clean/clicks/dt=$day

# A day is a batch: --delay 1d holds every window to the end of the input,
# so that no click, however out of order, comes too late for its session.
dh-agg -g user_id,country -a count,distinct:url,sum:price \
    --time ts --window session:30m --delay 1d "$in" |
dh-convert --fields window_start,window_end,user_id,country,count,url_distinct,price_sum |
dh-partition -s "$S" --wait 300 -p "dt=$day" --from "$self" --from "$in" agg/sessions ||
{ dh-invalidate -s "$S" --wait 300 "agg/sessions/dt=$day" >/dev/null; exit 1; }
