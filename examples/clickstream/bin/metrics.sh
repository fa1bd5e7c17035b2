#!/bin/bash
# agg/country_daily, partition dt=DAY: the day's metrics per country, as
# CSV: clicks, distinct users and sessions, and the clicks with a price
# (add_to_cart and purchase) and the sum of their prices.
#
#   bin/metrics.sh DAY
set -u -o pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.." || exit
S=${DH_STATE:-state}
day=$1
in=$S/clean/clicks/dt=$day

dh-agg -g country -a count,distinct:user_id,distinct:session_id,count:price,sum:price -t csv "$in" |
dh-partition -s "$S" --wait 300 -f csv -p "dt=$day" --from "$self" --from "$in" agg/country_daily ||
{ dh-invalidate -s "$S" --wait 300 "agg/country_daily/dt=$day" >/dev/null; exit 1; }
