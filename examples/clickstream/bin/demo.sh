#!/bin/sh
# make demo: the hub built from nothing, then two days reloaded.  Each
# step shows the commands as you would type them in examples/clickstream.
set -eu
cd "$(dirname "$0")/.." || exit
unset MAKEFLAGS MFLAGS MAKELEVEL	# make as a user runs it, not as a child

if [ -t 1 ]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi
say() { printf '%s\n' "$@"; }
run() { printf '$ %s\n' "$1"; eval "$1" 2>&1; }

rm -rf state inbox
say "A data hub of clicks, run by make: examples/clickstream (its README.md says more)." \
    "Each table is a directory of state/, each day a partition of it, complete when it holds _SUCCESS."

step "1. The shop's exporter delivers five days of clicks; on the last two it breaks down at 18:00"
run 'bin/produce.sh 2026-11-20 2026-11-21 2026-11-22'
run 'bin/produce.sh --until 18 2026-11-23 2026-11-24'
run 'ls inbox/2026-11-22 inbox/2026-11-23'

step "2. Cron lands what arrived in raw/clicks, and checks each day (bin/land.sh: dh-ingest, dh-check)"
run 'make land'

step "3. make builds each partition that lacks its _SUCCESS, checks it, then looks for anomalies"
say "   clean/clicks       bin/clean.sh     dh-dedup -k event_id | dh-convert --fields ... | dh-partition --by dt=ts:day" \
    "   agg/sessions       bin/sessions.sh  dh-agg -g user_id,country --window session:30m ... | dh-partition" \
    "   agg/country_daily  bin/metrics.sh   dh-agg -g country ... | dh-partition"
run 'make'
say "(2026-11-23 and 2026-11-24 stand out: a quarter of their clicks is missing.)"

step "4. The catalog"
run 'dh-ls -l'
run 'dh-ls -l --inputs agg/sessions/dt=2026-11-23'

sleep 1	# so that what is rebuilt shows a later build time
step "5. The exporter re-sends the missing hours: reload those two days, and everything made from them"
run 'bin/produce.sh --since 18 2026-11-23 2026-11-24'
run "dh-invalidate --reason 'export re-sent' --from 2026-11-23 --to 2026-11-24 raw/clicks"
run 'dh-ls -l --incomplete'

step "6. make rebuilds exactly those eight partitions"
run 'make'
run 'dh-ls -l raw/clicks clean/clicks agg/sessions agg/country_daily'
run 'dh-check'

step "Done: the hub is in examples/clickstream/state"
say "Try, in examples/clickstream, with export PATH=\$PWD/../../build/bin:\$PATH:" \
    "  echo '# v2' >> bin/metrics.sh; dh-ls --stale; make" \
    "  dh-agg -g country -a sum:count -t csv state/agg/country_daily/dt=*"
