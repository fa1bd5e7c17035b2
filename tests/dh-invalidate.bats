#!/usr/bin/env bats
# dh-invalidate: _SUCCESS removed from partitions and everything downstream,
# journalled, under the tables' locks, data untouched; and make rebuilds
# exactly those.

load helper

setup() {
	dh_setup
}

# A hub of three layers in st/, three days each:
#   raw/clicks/ingest_date=D  <-  src/D.jsonl
#   clean/clicks/dt=D         <-  t.sh + raw/clicks/ingest_date=D
#   daily/n/dt=D              <-  clean/clicks/dt=D (dh-agg)
hub() {
	local d
	mkdir -p src
	printf 'cat\n' >t.sh
	for d in 20 21 22; do
		printf '{"id":1%s,"b":"x"}\n{"id":2%s,"b":"y"}\n{"id":3%s,"b":"x"}\n' $d $d $d >src/$d.jsonl
		dh-partition -s st -p ingest_date=2026-11-$d raw/clicks src/$d.jsonl >/dev/null
		dh-partition -s st -p dt=2026-11-$d --from t.sh --from st/raw/clicks/ingest_date=2026-11-$d \
			clean/clicks st/raw/clicks/ingest_date=2026-11-$d >/dev/null
		dh-agg -g b -a count st/clean/clicks/dt=2026-11-$d |
			dh-partition -s st -p dt=2026-11-$d --from st/clean/clicks/dt=2026-11-$d daily/n >/dev/null
	done
}

# the partitions of st with _SUCCESS, one a line
completed() {
	(cd st && find . -name _SUCCESS | sed 's|^\./||; s|/_SUCCESS$||' | LC_ALL=C sort)
}

# every file but _SUCCESS, _LOCK and the journal, with its xxh128
data_hashes() {
	(cd st && find . -type f ! -name _SUCCESS ! -name _LOCK ! -name _log.jsonl -print0 |
		LC_ALL=C sort -z | xargs -0 xxhsum -H2)
}

# all of the state: every path with its type, and every file's bytes
snapshot() {
	(cd "${1:-st}" && find . -printf '%y %p\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 xxhsum -H2)
}

# hold TABLE's _LOCK in the background until the file "release" appears
hold_lock() {
	rm -f locked release
	(
		flock -x 9
		: >locked
		while [ ! -e release ]; do sleep 0.05; done
	) 9>"st/$1/_LOCK" &
	HOLDER=$!
	while [ ! -e locked ]; do sleep 0.02; done
}

release_lock() {
	: >release
	wait "$HOLDER"
}

@test "--help, --version and bad usage" {
	capture dh-invalidate --help
	assert_status 0
	[[ $out == "Usage: dh-invalidate [-s DIR] [-n] [--reason TEXT] "* ]] || fail "$out"
	[[ $out == *"Exit status:"* ]] || fail "$out"
	capture dh-invalidate --version
	assert_status 0
	[[ $out == "dh-invalidate (dh) "* ]] || fail "$out"
	capture dh-invalidate --bogus
	assert_status 2
	assert_err $'dh-invalidate: unrecognized option \'--bogus\'\nTry \'dh-invalidate --help\' for more information.'
	hub
	before=$(snapshot)
	capture dh-invalidate -s st
	assert_status 2
	assert_err $'dh-invalidate: name the partitions: TABLE[/PARTITION]..., or --stale\nTry \'dh-invalidate --help\' for more information.'
	capture dh-invalidate -s st --from 2026-11-20
	assert_status 2
	assert_err $'dh-invalidate: name the partitions: TABLE[/PARTITION]..., or --stale\nTry \'dh-invalidate --help\' for more information.'
	capture dh-invalidate -s st --stale --to 2026-11-20
	assert_status 2
	assert_err $'dh-invalidate: --from, --to and --key select partitions of the TABLEs named\nTry \'dh-invalidate --help\' for more information.'
	capture dh-invalidate -s st --key dt clean/clicks
	assert_status 2
	assert_err $'dh-invalidate: --key names the key of --from and --to\nTry \'dh-invalidate --help\' for more information.'
	capture dh-invalidate -s st --from 2026-11-20 clean/clicks/dt=2026-11-20
	assert_status 2
	assert_err $'dh-invalidate: --from and --to select partitions of a TABLE, not of \'clean/clicks/dt=2026-11-20\'\nTry \'dh-invalidate --help\' for more information.'
	capture dh-invalidate -s st --wait soon clean/clicks
	assert_status 2
	assert_err $'dh-invalidate: --wait: not a number of seconds: \'soon\'\nTry \'dh-invalidate --help\' for more information.'
	assert_out_empty
	[ "$(snapshot)" = "$before" ] || fail "a usage error changed the state"
}

@test "one partition and its downstream: _SUCCESS removed, paths printed, data untouched" {
	hub
	hashes=$(data_hashes)
	capture dh-invalidate -s st raw/clicks/ingest_date=2026-11-21
	assert_status 0
	assert_err_empty
	assert_out $'st/clean/clicks/dt=2026-11-21\nst/daily/n/dt=2026-11-21\nst/raw/clicks/ingest_date=2026-11-21'
	[ "$(completed)" = $'clean/clicks/dt=2026-11-20\nclean/clicks/dt=2026-11-22\ndaily/n/dt=2026-11-20\ndaily/n/dt=2026-11-22\nraw/clicks/ingest_date=2026-11-20\nraw/clicks/ingest_date=2026-11-22' ] ||
		fail "complete: $(completed)"
	[ "$(data_hashes)" = "$hashes" ] || fail "data or manifests changed"
	no_temp st
	capture dh-ls -s st --incomplete
	assert_out $'clean/clicks/dt=2026-11-21\ndaily/n/dt=2026-11-21\nraw/clicks/ingest_date=2026-11-21'
	# a reader now refuses the partition
	capture dh-convert st/clean/clicks/dt=2026-11-21
	assert_status 3
	# a middle layer: only it and what is below it
	capture dh-invalidate -s st clean/clicks/dt=2026-11-20
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-20\nst/daily/n/dt=2026-11-20'
	[ -e st/raw/clicks/ingest_date=2026-11-20/_SUCCESS ] || fail "upstream invalidated"
	# a whole table
	capture dh-invalidate -s st daily/n
	assert_status 0
	assert_out $'st/daily/n/dt=2026-11-20\nst/daily/n/dt=2026-11-21\nst/daily/n/dt=2026-11-22'
	[ "$(data_hashes)" = "$hashes" ] || fail "data or manifests changed"
}

@test "--no-downstream: only the partitions named" {
	hub
	capture dh-invalidate -s st --no-downstream raw/clicks/ingest_date=2026-11-20 clean/clicks/dt=2026-11-22
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-22\nst/raw/clicks/ingest_date=2026-11-20'
	capture dh-ls -s st --incomplete
	assert_out $'clean/clicks/dt=2026-11-22\nraw/clicks/ingest_date=2026-11-20'
}

@test "--from and --to: inclusive at both ends, on the first key; integers compare as numbers" {
	local d
	for d in 18 19 20 21 22; do
		echo "{\"d\":$d}" | dh-partition -s st -p dt=2026-11-$d t >/dev/null
	done
	capture dh-invalidate -s st -n --from 2026-11-19 --to 2026-11-21 t
	assert_status 0
	assert_out $'st/t/dt=2026-11-19\nst/t/dt=2026-11-20\nst/t/dt=2026-11-21'
	capture dh-invalidate -s st -n --from 2026-11-21 t
	assert_out $'st/t/dt=2026-11-21\nst/t/dt=2026-11-22'
	capture dh-invalidate -s st -n --to 2026-11-18 t
	assert_out 'st/t/dt=2026-11-18'
	capture dh-invalidate -s st -n --key dt --from 2026-11-22 --to 2026-11-22 t
	assert_out 'st/t/dt=2026-11-22'
	# an empty range is not an error
	capture dh-invalidate -s st --from 2026-12-01 t
	assert_status 0
	assert_out_empty
	capture dh-invalidate -s st --from 2026-11-20 --to 2026-11-21 t
	assert_status 0
	assert_out $'st/t/dt=2026-11-20\nst/t/dt=2026-11-21'
	[ "$(completed)" = $'t/dt=2026-11-18\nt/dt=2026-11-19\nt/dt=2026-11-22' ] || fail "$(completed)"
	# 9 is before 10
	for d in 1 2 9 10 11; do
		echo "{\"k\":$d}" | dh-partition -s st -p k=$d n >/dev/null
	done
	capture dh-invalidate -s st -n --from 2 --to 10 n
	assert_status 0
	assert_out $'st/n/k=10\nst/n/k=2\nst/n/k=9'
	# values compare unescaped
	for d in a/b a/c; do
		echo "{\"v\":\"$d\"}" | dh-partition -s st --by v esc >/dev/null
	done
	capture dh-invalidate -s st -n --from a/c esc
	assert_out 'st/esc/v=a%2Fc'
}

@test "--key: a range on the second key" {
	printf '%s\n' '{"d":"2026-11-20","h":"00"}' '{"d":"2026-11-20","h":"01"}' '{"d":"2026-11-20","h":"02"}' \
		'{"d":"2026-11-21","h":"01"}' '{"d":"2026-11-21","h":"03"}' >h.jsonl
	dh-partition -s st --by dt=d --by h t h.jsonl >/dev/null
	capture dh-invalidate -s st --key h --from 01 --to 02 t
	assert_status 0
	assert_out $'st/t/dt=2026-11-20/h=01\nst/t/dt=2026-11-20/h=02\nst/t/dt=2026-11-21/h=01'
	[ "$(completed)" = $'t/dt=2026-11-20/h=00\nt/dt=2026-11-21/h=03' ] || fail "$(completed)"
	# a key no partition has selects none
	capture dh-invalidate -s st --key minute --from 0 t
	assert_status 0
	assert_out_empty
	# a prefix operand: the hours of a day
	capture dh-invalidate -s st t/dt=2026-11-21
	assert_out $'st/t/dt=2026-11-21/h=01\nst/t/dt=2026-11-21/h=03'
}

@test "--stale: the stale partitions and what was made from them" {
	hub
	capture dh-invalidate -s st --stale
	assert_status 0
	assert_out_empty
	echo '# v2' >>t.sh
	capture dh-invalidate -s st -n --stale --no-downstream
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-20\nst/clean/clicks/dt=2026-11-21\nst/clean/clicks/dt=2026-11-22'
	capture dh-invalidate -s st --stale raw/clicks daily/n
	assert_status 0
	assert_out_empty
	capture dh-invalidate -s st --stale clean/clicks/dt=2026-11-21
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-21\nst/daily/n/dt=2026-11-21'
	capture dh-invalidate -s st --stale
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-20\nst/clean/clicks/dt=2026-11-22\nst/daily/n/dt=2026-11-20\nst/daily/n/dt=2026-11-22'
	[ "$(completed)" = $'raw/clicks/ingest_date=2026-11-20\nraw/clicks/ingest_date=2026-11-21\nraw/clicks/ingest_date=2026-11-22' ] ||
		fail "$(completed)"
	# dh-ls --stale feeds dh-invalidate
	rm -rf st && hub
	echo '# v3' >>t.sh
	capture sh -c 'dh-ls -s st --stale | xargs -r dh-invalidate -s st'
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-20\nst/clean/clicks/dt=2026-11-21\nst/clean/clicks/dt=2026-11-22\nst/daily/n/dt=2026-11-20\nst/daily/n/dt=2026-11-21\nst/daily/n/dt=2026-11-22'
}

@test "-n prints what would be invalidated and changes nothing, even under a held lock" {
	hub
	before=$(snapshot)
	hold_lock clean/clicks
	capture dh-invalidate -s st -n --reason x raw/clicks/ingest_date=2026-11-20
	release_lock
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-20\nst/daily/n/dt=2026-11-20\nst/raw/clicks/ingest_date=2026-11-20'
	[ "$(snapshot)" = "$before" ] || fail "-n changed the state: $(diff <(echo "$before") <(snapshot))"
	# and the real run prints the same
	want=$out
	capture dh-invalidate -s st raw/clicks/ingest_date=2026-11-20
	assert_out "$want"
}

@test "--reason: one invalidate line a partition in _log.jsonl" {
	hub
	n=$(wc -l <st/_log.jsonl)
	capture dh-invalidate -s st --reason 'redelivered: café' raw/clicks/ingest_date=2026-11-22
	assert_status 0
	tail -n +$((n + 1)) st/_log.jsonl >new
	[ "$(wc -l <new)" -eq 3 ] || fail "$(cat new)"
	[ "$(jq -r '[.event, .table, .partition, .reason] | @tsv' new)" = \
	  $'invalidate\tclean/clicks\tdt=2026-11-22\tredelivered: café\ninvalidate\tdaily/n\tdt=2026-11-22\tredelivered: café\ninvalidate\traw/clicks\tingest_date=2026-11-22\tredelivered: café' ] ||
		fail "$(cat new)"
	[ "$(jq -c '.command' new | sort -u)" = '["dh-invalidate","-s","st","--reason","redelivered: café","raw/clicks/ingest_date=2026-11-22"]' ] ||
		fail "$(cat new)"
	[ "$(jq -r 'keys_unsorted | join(",")' new | sort -u)" = 'time,event,table,partition,reason,command' ] || fail "$(cat new)"
	jq -r .time new | grep -qvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' && fail "time: $(cat new)"
	# without --reason, no reason field
	dh-invalidate -s st daily/n/dt=2026-11-20 >/dev/null
	[ "$(tail -n 1 st/_log.jsonl | jq -c '[.event, .partition, has("reason")]')" = '["invalidate","dt=2026-11-20",false]' ] ||
		fail "$(tail -n 1 st/_log.jsonl)"
}

@test "an already incomplete partition: exit 0, printed, not journalled again" {
	hub
	dh-invalidate -s st --no-downstream clean/clicks/dt=2026-11-20 >/dev/null
	n=$(wc -l <st/_log.jsonl)
	capture dh-invalidate -s st clean/clicks/dt=2026-11-20
	assert_status 0
	assert_err_empty
	assert_out $'st/clean/clicks/dt=2026-11-20\nst/daily/n/dt=2026-11-20'
	[ "$(tail -n +$((n + 1)) st/_log.jsonl | jq -r .partition)" = 'dt=2026-11-20' ] || fail "$(cat st/_log.jsonl)"
	[ "$(tail -n +$((n + 1)) st/_log.jsonl | jq -r .table)" = 'daily/n' ] || fail "$(cat st/_log.jsonl)"
	# twice: the same output, nothing journalled
	n=$(wc -l <st/_log.jsonl)
	capture dh-invalidate -s st clean/clicks/dt=2026-11-20
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-20\nst/daily/n/dt=2026-11-20'
	[ "$(wc -l <st/_log.jsonl)" -eq "$n" ] || fail "journalled again"
}

@test "a table locked by another process: exit 5, nothing changed; --wait waits" {
	hub
	before=$(snapshot)
	# raw/clicks/... has downstream in clean/clicks and daily/n; daily/n is locked
	hold_lock daily/n
	capture dh-invalidate -s st raw/clicks/ingest_date=2026-11-20
	assert_status 5
	assert_err 'dh-invalidate: table daily/n is being written by another process (st/daily/n/_LOCK is locked; use --wait SECS to wait)'
	assert_out_empty
	[ "$(snapshot)" = "$before" ] || fail "changed under a lock: $(diff <(echo "$before") <(snapshot))"
	# a table outside the closure is not locked
	capture dh-invalidate -s st --no-downstream raw/clicks/ingest_date=2026-11-20
	assert_status 0
	assert_out 'st/raw/clicks/ingest_date=2026-11-20'
	# --wait: the lock is released while it waits
	(sleep 0.5 && : >release) &
	capture dh-invalidate -s st --wait 20 clean/clicks/dt=2026-11-21
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-21\nst/daily/n/dt=2026-11-21'
	wait "$HOLDER"
	wait
	[ ! -e st/daily/n/dt=2026-11-21/_SUCCESS ] || fail "not invalidated"
	# dh-partition's lock, the same _LOCK
	hold_lock clean/clicks
	capture dh-invalidate -s st --wait 0.2 clean/clicks/dt=2026-11-22
	assert_status 5
	release_lock
	[ -e st/clean/clicks/dt=2026-11-22/_SUCCESS ] || fail "invalidated under a lock"
}

@test "an unknown partition is exit 2 and changes nothing; a missing state is exit 4" {
	hub
	before=$(snapshot)
	capture dh-invalidate -s st raw/clicks/ingest_date=2026-11-20 raw/clikcs
	assert_status 2
	assert_err "dh-invalidate: no table or partition 'raw/clikcs' in st"
	assert_out_empty
	capture dh-invalidate -s st clean/clicks/dt=2026-12-01
	assert_status 2
	assert_err "dh-invalidate: no table or partition 'clean/clicks/dt=2026-12-01' in st"
	[ "$(snapshot)" = "$before" ] || fail "changed"
	capture dh-invalidate -s nowhere t
	assert_status 4
	assert_err 'dh-invalidate: nowhere: No such file or directory'
	capture env DH_STATE=nowhere dh-invalidate --stale
	assert_status 4
	assert_err 'dh-invalidate: nowhere: No such file or directory'
	# DH_STATE, then ./state
	capture env DH_STATE=st dh-invalidate daily/n/dt=2026-11-20
	assert_status 0
	assert_out 'st/daily/n/dt=2026-11-20'
	mv st state
	capture env -u DH_STATE dh-invalidate daily/n/dt=2026-11-21
	assert_status 0
	assert_out 'state/daily/n/dt=2026-11-21'
}

@test "a symlinked partition directory pointing outside the state is never followed" {
	hub
	mkdir -p outside/k=z
	cp st/daily/n/dt=2026-11-20/* outside/k=z/
	ln -s "$PWD/outside/k=z" st/daily/n/dt=2026-12-01
	ln -s "$PWD/outside" st/linked
	outside=$(snapshot outside)
	capture dh-invalidate -s st daily/n/dt=2026-12-01
	assert_status 2
	assert_err "dh-invalidate: no table or partition 'daily/n/dt=2026-12-01' in st"
	capture dh-invalidate -s st linked
	assert_status 2
	capture dh-invalidate -s st daily/n
	assert_status 0
	assert_out $'st/daily/n/dt=2026-11-20\nst/daily/n/dt=2026-11-21\nst/daily/n/dt=2026-11-22'
	capture dh-invalidate -s st --from 2026-01-01 daily/n
	assert_status 0
	[ "$(snapshot outside)" = "$outside" ] || fail "the link's target changed"
	[ -e outside/k=z/_SUCCESS ] || fail "_SUCCESS outside removed"
}

@test "> /dev/full is exit 4; | head -1 is quiet" {
	hub
	capture sh -c 'exec dh-invalidate -s st -n raw/clicks >/dev/full'
	assert_status 4
	assert_err 'dh-invalidate: write error: stdout: No space left on device'
	capture sh -c 'exec dh-invalidate -s st raw/clicks/ingest_date=2026-11-20 >/dev/full'
	assert_status 4
	assert_err 'dh-invalidate: write error: stdout: No space left on device'
	awk 'BEGIN { for (i = 0; i < 1200; i++) printf "{\"u\":\"user-with-a-long-name-%05d\"}\n", i }' >u.jsonl
	dh-partition -s st --by u many/t u.jsonl >/dev/null
	line=$(dh-invalidate -s st -n many/t 2>err | head -n 1; echo "rc=${PIPESTATUS[0]}")
	[[ $line == "st/many/t/u=user-with-a-long-name-00000"$'\n'rc=141 ||
		$line == "st/many/t/u=user-with-a-long-name-00000"$'\n'rc=0 ]] || fail "$line"
	[ ! -s err ] || fail "stderr: $(cat err)"
}

# The issue's test: a hub built by make from rules keyed on _SUCCESS
# files; after dh-invalidate, make rebuilds exactly the partitions it
# printed, and nothing else.
@test "Makefile: dh-invalidate … && make rebuilds exactly the invalidated partitions and their downstream" {
	command -v make >/dev/null || skip "make is not installed"
	mkdir landing
	for d in 20 21 22; do
		printf '{"id":1%s,"b":"buy"}\n{"id":2%s,"b":"back"}\n{"id":3%s,"b":"bot"}\n' $d $d $d >landing/2026-11-$d.jsonl
	done
	printf '#!/bin/sh\nexec grep -v bot\n' >clean.sh
	chmod +x clean.sh
	# recipe lines start with a tab; each logs its target to built.log
	sed 's/^\t\t//; s/^> /\t/' >Makefile <<-'EOF'
		S := st
		E := =
		DAYS := 2026-11-20 2026-11-21 2026-11-22
		RAW := $(patsubst %,$(S)/raw/clicks/ingest_date$E%/_SUCCESS,$(DAYS))
		CLEAN := $(patsubst %,$(S)/clean/clicks/dt$E%/_SUCCESS,$(DAYS))
		DAILY := $(patsubst %,$(S)/daily/n/dt$E%/_SUCCESS,$(DAYS))
		TOTAL := $(S)/total/n/k$Eall/_SUCCESS

		all: $(RAW) $(CLEAN) $(DAILY) $(TOTAL)

		$(S)/raw/clicks/ingest_date$E%/_SUCCESS: landing/%.jsonl
		> echo $@ >>built.log
		> dh-ingest -s $(S) -p ingest_date=$* raw/clicks $<

		$(S)/clean/clicks/dt$E%/_SUCCESS: $(S)/raw/clicks/ingest_date$E%/_SUCCESS clean.sh
		> echo $@ >>built.log
		> dh-convert $(S)/raw/clicks/ingest_date=$* | ./clean.sh | \
		>     dh-partition -s $(S) -p dt=$* --from clean.sh --from $(S)/raw/clicks/ingest_date=$* clean/clicks

		$(S)/daily/n/dt$E%/_SUCCESS: $(S)/clean/clicks/dt$E%/_SUCCESS
		> echo $@ >>built.log
		> dh-agg -g b -a count $(S)/clean/clicks/dt=$* | \
		>     dh-partition -s $(S) -p dt=$* --from $(S)/clean/clicks/dt=$* daily/n

		$(TOTAL): $(DAILY)
		> echo $@ >>built.log
		> dh-agg -g b -a sum:count $(patsubst %/_SUCCESS,%,$^) | \
		>     dh-partition -s $(S) -p k=all $(patsubst %/_SUCCESS,--from %,$^) total/n
	EOF
	grep -q '^	echo \$@ >>built.log$' Makefile || fail "Makefile: $(cat -A Makefile)"
	# the first make builds the ten partitions, every one complete
	capture make
	assert_status 0
	[ "$(wc -l <built.log)" -eq 10 ] || fail "built: $(cat built.log)"
	capture dh-ls -s st -l
	assert_out "     3 partitions: 3 ok, 0 incomplete, 0 stale, 0 damaged; 6 records, $(cat st/clean/clicks/*/part-* | wc -c) bytes  clean/clicks
     3 partitions: 3 ok, 0 incomplete, 0 stale, 0 damaged; 6 records, $(cat st/daily/n/*/part-* | wc -c) bytes  daily/n
     3 partitions: 3 ok, 0 incomplete, 0 stale, 0 damaged; 9 records, $(cat landing/* | wc -c) bytes  raw/clicks
     1 partitions: 1 ok, 0 incomplete, 0 stale, 0 damaged; 2 records, $(cat st/total/n/*/part-* | wc -c) bytes  total/n"
	[ "$(jq -c . st/total/n/k=all/part-00000.jsonl)" = $'{"b":"buy","count_sum":3}\n{"b":"back","count_sum":3}' ] ||
		fail "total: $(cat st/total/n/k=all/part-00000.jsonl)"
	state_ok st
	# nothing to do
	: >built.log
	capture make
	assert_status 0
	[ ! -s built.log ] || fail "rebuilt: $(cat built.log)"

	# rebuilt = what dh-invalidate printed, nothing more, nothing less
	rebuilds() {
		: >built.log
		capture sh -c "dh-invalidate -s st $* >inv && make >make.out 2>&1"
		assert_status 0
		sed 's|$|/_SUCCESS|' inv | LC_ALL=C sort >want
		LC_ALL=C sort built.log >got
		cmp -s want got || fail "dh-invalidate $*:" "printed: $(cat inv)" "rebuilt: $(cat built.log)"
		[ "$(dh-ls -s st --incomplete)" = "" ] || fail "left incomplete: $(dh-ls -s st --incomplete)"
		[ "$(dh-ls -s st --stale)" = "" ] || fail "left stale: $(dh-ls -s st --stale)"
	}
	# one raw partition: it, its clean and daily partitions, the total
	rebuilds raw/clicks/ingest_date=2026-11-21
	[ "$(wc -l <built.log)" -eq 4 ] || fail "$(cat built.log)"
	# a range of a middle layer
	rebuilds --from 2026-11-21 --to 2026-11-22 clean/clicks
	[ "$(wc -l <built.log)" -eq 5 ] || fail "$(cat built.log)"
	grep -q raw built.log && fail "raw rebuilt: $(cat built.log)"
	# a range of raw, with a reason
	rebuilds --reason recompute --from 2026-11-20 --to 2026-11-20 raw/clicks
	[ "$(wc -l <built.log)" -eq 4 ] || fail "$(cat built.log)"
	# the last layer alone
	rebuilds total/n
	[ "$(cat built.log)" = 'st/total/n/k=all/_SUCCESS' ] || fail "$(cat built.log)"
	# the script edited: the stale partitions and their downstream
	echo '# v2' >>clean.sh
	: >built.log
	capture sh -c 'dh-ls -s st --stale | xargs -r dh-invalidate -s st >inv && make >make.out 2>&1'
	assert_status 0
	[ "$(LC_ALL=C sort built.log)" = "$(sed 's|$|/_SUCCESS|' inv | LC_ALL=C sort)" ] ||
		fail "printed: $(cat inv)" "rebuilt: $(cat built.log)"
	[ "$(wc -l <built.log)" -eq 7 ] || fail "$(cat built.log)"
	# dh-invalidate's paths are make's targets
	: >built.log
	capture sh -c 'dh-invalidate -s st daily/n/dt=2026-11-20 | sed "s|\$|/_SUCCESS|" | xargs -r make >make.out 2>&1'
	assert_status 0
	[ "$(LC_ALL=C sort built.log)" = $'st/daily/n/dt=2026-11-20/_SUCCESS\nst/total/n/k=all/_SUCCESS' ] ||
		fail "$(cat built.log)"
	capture make
	assert_status 0
	state_ok st
	[ "$(dh-ls -s st --stale --incomplete)" = "" ] || fail "$(dh-ls -s st -l)"
}

@test "BUG: the partitions are chosen before the locks are taken" {
	printf '%s\n' '{"k":"a"}' '{"k":"b"}' >e.jsonl
	dh-partition -s st --by k t e.jsonl >/dev/null
	rm st/t/k=a/_SUCCESS
	hold_lock t
	# the writer completes k=a and publishes k=c, then lets go
	(sleep 0.5 && : >st/t/k=a/_SUCCESS && mkdir st/t/k=c && cp st/t/k=b/* st/t/k=c/ && : >release) &
	capture dh-invalidate -s st --wait 20 t
	wait
	assert_status 0
	assert_out $'st/t/k=a\nst/t/k=b\nst/t/k=c'
	[ "$(completed)" = "" ] || fail "printed as invalidated, still complete: $(completed)"
}

@test "BUG: | head -1 or a write error stops dh-invalidate half way" {
	v=$(printf 'x%.0s' $(seq 200))
	awk -v v="$v" 'BEGIN { for (i = 0; i < 2000; i++) printf "{\"u\":\"%s%05d\"}\n", v, i }' >l.jsonl
	dh-partition -s st --by u t l.jsonl >/dev/null
	dh-invalidate -s st t | head -n 1 >/dev/null
	[ "$(completed)" = "" ] || fail "$(completed | wc -l) partitions still complete"
}

@test "BUG: a directory of tables is taken as a prefix: every table below it is invalidated" {
	hub
	capture dh-invalidate -s st raw
	assert_status 2
	assert_err "dh-invalidate: no table or partition 'raw' in st"
	[ -e st/raw/clicks/ingest_date=2026-11-20/_SUCCESS ] || fail "invalidated"
}

@test "BUG: --from D --to D selects no partition of an hour table" {
	printf '%s\n' '{"ts":"2026-11-20T10:00:00Z"}' '{"ts":"2026-11-20T13:00:00Z"}' '{"ts":"2026-11-21T01:00:00Z"}' >h.jsonl
	dh-partition -s st --by h=ts:hour t h.jsonl >/dev/null
	capture dh-invalidate -s st -n --from 2026-11-20 --to 2026-11-20 t
	assert_out $'st/t/h=2026-11-20T10\nst/t/h=2026-11-20T13'
}

@test "BUG: with --stale, an operand that names nothing is accepted" {
	hub
	capture dh-invalidate -s st --stale raw/clikcs
	assert_status 2
	assert_err "dh-invalidate: no table or partition 'raw/clikcs' in st"
}

# kill -9 at random moments (scripts/crash-test; its long run is
# `make crash-test`): on a three-layer lineage, killed runs change no data
# or manifest and leave markers between the lineage's and an uninterrupted
# run's; after a rerun the markers and the journal are an uninterrupted
# run's, and dh-check is clean.
@test "kill -9 at 50 random moments: a rerun leaves what an uninterrupted run leaves" {
	local root=$BATS_TEST_DIRNAME/..
	capture env DH_BUILD="$root/${BUILD:-build}" "$root/scripts/crash-test" 50 invalidate
	assert_status 0
	assert_out_match '^crash-test: 50 kills of dh-invalidate, every marker and journal line as an uninterrupted run leaves them \([0-9]+ mid-run\)$'
}
