#!/usr/bin/env bats
# shellcheck disable=SC2154 # $out, $err, $status: set by capture in helper.bash
# examples/clickstream, the hub of `make demo`, run in a copy: built from
# nothing, every partition complete and checked; two days reloaded with
# dh-invalidate --from --to and make, which rebuilds exactly those days
# and what was made from them, leaving every other partition's files as
# they were; an edited script rebuilt by what dh-ls calls stale, also
# when make's timestamps miss it.  The story runs once (setup_file); the
# tests read what it left.

load helper

TABLES='raw/clicks clean/clicks agg/sessions agg/country_daily'
DAYS='2026-11-20 2026-11-21 2026-11-22 2026-11-23 2026-11-24'

# snapshot FILE: each file of each partition, with its inode and hash, so
# that a file rewritten, even with the same bytes, shows
snapshot() {
	(cd state && find raw clean agg -path '*/dt=*' -type f ! -name '.*' \
		-printf '%h/%f %i ' -exec sh -c 'cksum <"$1" | cut -d" " -f1' _ {} \; |
		sort) >"$1"
}

# hub ARGS...: make in the hub, with dh from PATH and the build's gen
hub() {
	make -s --no-print-directory -C "$HUB" DH_BIN= GEN="$GEN" "$@"
}

setup_file() {
	ROOT=$BATS_TEST_DIRNAME/..
	GEN=$ROOT/${BUILD:-build}/tools/gen
	HUB=$BATS_FILE_TMPDIR/hub
	export GEN HUB
	mkdir -p "$HUB"
	cp -R "$ROOT/examples/clickstream/Makefile" "$ROOT/examples/clickstream/bin" \
		"$ROOT/examples/clickstream/rules" "$HUB/"
	cd "$HUB" || return 1
	export DH_STATE=state

	bin/produce.sh 2026-11-20 2026-11-21 2026-11-22
	bin/produce.sh --until 18 2026-11-23 2026-11-24
	hub land >land.out 2>&1
	hub >make1.out 2>&1
	echo $? >make1.rc
	dh-ls --json $TABLES >ls1.json
	snapshot snap1

	sleep 1 # a rebuilt partition's manifest says a later second
	bin/produce.sh --since 18 2026-11-23 2026-11-24
	wc -l <state/_log.jsonl >log1.lines
	dh-invalidate --reason 'export re-sent' --from 2026-11-23 --to 2026-11-24 \
		raw/clicks >invalidated.out
	dh-ls --json $TABLES >ls2.json
	hub >make2.out 2>&1
	echo $? >make2.rc
	dh-ls --json $TABLES >ls3.json
	snapshot snap2
	wc -l <state/_log.jsonl >log2.lines
	hub >make3.out 2>&1
	wc -l <state/_log.jsonl >log3.lines
}

setup() {
	cd "$HUB" || return 1
}

@test "demo: the first make builds every partition of every day, each checked" {
	[ "$(cat make1.rc)" = 0 ] || fail "make failed" "$(cat land.out make1.out)"
	[ "$(jq -s 'length' ls1.json)" = 20 ]
	[ "$(jq -r 'select(.status != "ok") | .partition' ls1.json)" = "" ]
	for t in $TABLES; do
		for d in $DAYS; do
			jq -e '.checks | length > 0 and all(.ok)' \
				"state/$t/dt=$d/_MANIFEST" >/dev/null ||
				fail "$t/dt=$d: no checks recorded, or one failed"
		done
	done
	# the lines make prints: one a partition, then the anomalies
	[ "$(grep -c 'checks pass$' land.out make1.out | awk -F: '{ s += $2 } END { print s }')" = 20 ]
}

@test "demo: dh-check --anomaly flags the two short days, in raw and clean" {
	grep -q '^dh-check --anomaly: [1-9][0-9]* anomalies$' make1.out
	grep -q '^raw/clicks/dt=2026-11-23: anomaly: records ' make1.out
	grep -q '^raw/clicks/dt=2026-11-24: anomaly: records ' make1.out
	grep -q '^clean/clicks/dt=2026-11-23: anomaly: records ' make1.out
	[ "$(grep ': anomaly: ' make1.out | grep -v 'dt=2026-11-2[34]:')" = "" ]
}

@test "demo: dh-invalidate --from --to selects the two days and what was made from them" {
	local want=
	for t in agg/country_daily agg/sessions clean/clicks raw/clicks; do
		want="$want${want:+
}state/$t/dt=2026-11-23
state/$t/dt=2026-11-24"
	done
	[ "$(cat invalidated.out)" = "$want" ] || fail "invalidated:" "$(cat invalidated.out)"
	[ "$(jq -r 'select(.status == "incomplete") | .partition' ls2.json | sort)" = \
		"$(sed 's|^state/||' invalidated.out | sort)" ]
	[ "$(jq -r 'select(.status == "ok") | .partition' ls2.json | grep -c 'dt=2026-11-2[012]$')" = 12 ]
}

@test "demo: make rebuilds exactly the invalidated partitions" {
	[ "$(cat make2.rc)" = 0 ] || fail "make failed" "$(cat make2.out)"
	[ "$(jq -r 'select(.status != "ok") | .partition' ls3.json)" = "" ]
	# what the journal says was published after the invalidation
	local published
	published=$(tail -n +"$(($(cat log1.lines) + 1))" state/_log.jsonl |
		jq -r 'select(.event != "invalidate") | .table + "/" + .partition' | sort)
	[ "$published" = "$(sed 's|^state/||' invalidated.out | sort)" ] ||
		fail "published after the invalidation:" "$published"
	# and what make printed
	[ "$(grep -c 'checks pass$' make2.out)" = 8 ]
	# the short days are whole now
	! grep -E '^(raw|clean)/clicks/dt=[0-9-]+: anomaly: ' make2.out
	# the raw partitions have the files resent, and the records grew
	for d in 2026-11-23 2026-11-24; do
		jq -e --arg d "$d" '.files | map(.source.name) | any(endswith("clicks-\($d)T18.jsonl.gz"))' \
			"state/raw/clicks/dt=$d/_MANIFEST" >/dev/null
		[ "$(jq -r --arg p "clean/clicks/dt=$d" 'select(.partition == $p) | .records' ls3.json)" -gt \
			"$(jq -r --arg p "clean/clicks/dt=$d" 'select(.partition == $p) | .records' ls1.json)" ]
	done
}

@test "demo: the partitions of the other days are untouched, file for file" {
	diff <(grep -v 'dt=2026-11-2[34]/' snap1) <(grep -v 'dt=2026-11-2[34]/' snap2)
	[ "$(grep -c 'dt=2026-11-2[012]/' snap2)" -ge 36 ]
	# while every rebuilt one has a new manifest
	for t in $TABLES; do
		for d in 2026-11-23 2026-11-24; do
			! grep -qxF "$(grep "^$t/dt=$d/_MANIFEST " snap1)" snap2 ||
				fail "$t/dt=$d: _MANIFEST not rewritten"
		done
	done
}

@test "demo: dh-check finds every partition whole, and a second make does nothing" {
	capture dh-check -s state
	assert_status 0
	[ "$err" = "dh-check: 20 partitions checked: 0 problems" ]
	[ "$(cat log2.lines)" = "$(cat log3.lines)" ]
	[ "$(grep -v -e '^dh-check --anomaly: ' -e ': anomaly: ' make3.out)" = "" ] ||
		fail "$(cat make3.out)"
}

@test "demo: an edited script makes exactly its outputs stale, and make rebuilds them, whatever the timestamps" {
	local before
	before=$(wc -l <state/_log.jsonl)
	echo '# v2' >>bin/metrics.sh
	# as if restored from a backup with its old time: make alone would miss it
	touch -d '2020-01-01' bin/metrics.sh
	capture dh-ls -s state --stale
	assert_status 0
	[ "$out" = "$(for d in $DAYS; do echo "agg/country_daily/dt=$d"; done)" ] || fail "stale: $out"
	capture hub
	assert_status 0
	[ "$(grep -c 'checks pass$' "$DH_OUT")" = 5 ]
	[ "$(tail -n +$((before + 1)) state/_log.jsonl |
		jq -r 'select(.event == "publish") | .table' | sort -u)" = agg/country_daily ]
	[ "$(dh-ls -s state --stale)" = "" ]
}
