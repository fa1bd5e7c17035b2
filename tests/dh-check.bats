#!/usr/bin/env bats
# dh-check (integrity): every complete partition held to its manifest,
# byte by byte; schema drift; gaps.

load helper

setup() {
	dh_setup
}

# raw/x: days 18, 19, 21 of two records each; clean/y made from day 18
# and a script
hub() {
	printf 'cat\n' >t.sh
	printf '{"dt":"2026-11-18","v":1}\n{"dt":"2026-11-18","v":2}\n{"dt":"2026-11-19","v":3}\n{"dt":"2026-11-19","v":4}\n{"dt":"2026-11-21","v":5}\n{"dt":"2026-11-21","v":6}\n' >d.jsonl
	dh-partition -s st --by dt raw/x d.jsonl >/dev/null
	dh-partition -s st -p day=1 --from t.sh --from st/raw/x/dt=2026-11-18 clean/y \
		st/raw/x/dt=2026-11-18 >/dev/null
}

@test "--help, --version and bad usage" {
	capture dh-check --help
	assert_status 0
	[[ $out == "Usage: dh-check "* ]] || fail "help: $out"
	capture dh-check --version
	assert_status 0
	[[ $out == "dh-check (dh) "* ]] || fail "version: $out"
	capture dh-check --bogus
	assert_status 2
	assert_err_match "Try 'dh-check --help' for more information."
	hub
	capture dh-check -s st raw/nope
	assert_status 2
	assert_err "dh-check: no table or partition 'raw/nope' in st"
	capture dh-check -s missing
	assert_status 4
	assert_err_match "^dh-check: missing: "
}

@test "a clean state: exit 0, nothing on stdout, the count on stderr" {
	hub
	capture dh-check -s st
	assert_status 0
	assert_out_empty
	assert_err "dh-check: 4 partitions checked: 0 problems"
	capture dh-check -s st raw/x/dt=2026-11-19
	assert_status 0
	assert_err "dh-check: 1 partition checked: 0 problems"
}

@test "a flipped byte of the same size: the xxh128 line" {
	hub
	f=st/raw/x/dt=2026-11-19/part-00000.jsonl
	sed -i 's/"v":3/"v":8/' $f
	want=$(xxhsum -H2 $f | cut -d' ' -f1)
	was=$(jq -r '.files[0].xxh128' st/raw/x/dt=2026-11-19/_MANIFEST)
	capture dh-check -s st
	assert_status 1
	assert_out "raw/x/dt=2026-11-19: part-00000.jsonl: xxh128 $want, the manifest says $was"
	assert_err "dh-check: 4 partitions checked: 1 problem"
}

@test "a truncated, a missing, an extra file; a temporary file; a records count" {
	hub
	f=st/raw/x/dt=2026-11-18/part-00000.jsonl
	size=$(stat -c %s $f)
	head -c 10 $f >t && mv t $f
	rm st/raw/x/dt=2026-11-19/part-00000.jsonl
	printf '{}\n' >st/raw/x/dt=2026-11-21/part-00009.jsonl
	: >st/raw/x/dt=2026-11-21/.tmp.part-00001.x
	capture dh-check -s st raw/x
	assert_status 1
	assert_out "raw/x/dt=2026-11-18: part-00000.jsonl: 10 bytes, the manifest says $size
raw/x/dt=2026-11-19: part-00000.jsonl: missing (the manifest lists it)
raw/x/dt=2026-11-21: .tmp.part-00001.x: a temporary file left by a writer that did not finish
raw/x/dt=2026-11-21: part-00009.jsonl: a data file the manifest does not list"
	# a records count edited in the manifest
	rm -rf st && hub
	m=st/raw/x/dt=2026-11-21/_MANIFEST
	jq '.files[0].records = 3 | .records = 3' $m >t && mv t $m
	capture dh-check -s st raw/x/dt=2026-11-21
	assert_status 1
	assert_out "raw/x/dt=2026-11-21: part-00000.jsonl: 2 records, the manifest says 3"
}

@test "_SUCCESS without a manifest; a manifest naming ../x is refused, never read" {
	hub
	rm st/raw/x/dt=2026-11-18/_MANIFEST
	m=st/raw/x/dt=2026-11-19/_MANIFEST
	printf 'secret\n' >st/raw/x/outside.jsonl
	jq '.files[0].name = "../outside.jsonl"' $m >t && mv t $m
	capture dh-check -s st raw/x
	assert_status 1
	[[ $(sed -n 1p "$DH_OUT") == "raw/x/dt=2026-11-18: _SUCCESS without a _MANIFEST" ]] || fail "$out"
	[[ $(sed -n 2p "$DH_OUT") == "raw/x/dt=2026-11-19: _MANIFEST: "* ]] || fail "$out"
	[[ $out != *secret* ]] || fail "read the file outside: $out"
	[ "$(cat st/raw/x/outside.jsonl)" = secret ] || fail "the file outside changed"
}

@test "stale: an edited --from script" {
	hub
	printf 'cat # changed\n' >t.sh
	capture dh-check -s st clean/y
	assert_status 1
	assert_out "clean/y/day=1: stale: input $PWD/t.sh changed"
}

@test "schema drift: a new field, a retyped field" {
	hub
	printf '{"dt":"2026-11-22","v":"seven"}\n{"dt":"2026-11-23","v":7,"w":true}\n' |
		dh-partition -s st --by dt raw/x >/dev/null
	capture dh-check -s st raw/x
	assert_status 1
	assert_out 'raw/x/dt=2026-11-22: field "v" is string, in raw/x/dt=2026-11-18 number
raw/x/dt=2026-11-23: field "w" (bool) is new: not in raw/x/dt=2026-11-18'
}

@test "--continuous: the days missing between the first and the last; hours too" {
	hub
	capture dh-check -s st
	assert_status 0
	capture dh-check -s st --continuous raw/x
	assert_status 1
	assert_out "raw/x/dt=2026-11-20: missing: a gap in the day sequence of dt"
	printf '{"t":"2026-11-20T22:10:00Z"}\n{"t":"2026-11-21T01:00:00Z"}\n' |
		dh-partition -s st --by h=t:hour hours >/dev/null
	capture dh-check -s st --continuous hours
	assert_status 1
	assert_out "hours/h=2026-11-20T23: missing: a gap in the hour sequence of h
hours/h=2026-11-21T00: missing: a gap in the hour sequence of h"
}

@test "--json: one object a problem; --stats counts them" {
	hub
	rm st/raw/x/dt=2026-11-19/part-00000.jsonl
	capture dh-check -s st --json --stats
	assert_status 1
	[ "$(jq -r .partition "$DH_OUT")" = raw/x/dt=2026-11-19 ] || fail "$out"
	[ "$(jq -r .problem "$DH_OUT")" = "part-00000.jsonl: missing (the manifest lists it)" ] || fail "$out"
	[ "$(printf '%s\n' "$err" | tail -n 1 | jq .problems)" = 1 ] || fail "stats: $err"
}

@test "incomplete partitions are not checked" {
	hub
	rm st/raw/x/dt=2026-11-19/_SUCCESS st/raw/x/dt=2026-11-19/part-00000.jsonl
	capture dh-check -s st raw/x
	assert_status 0
	assert_err "dh-check: 2 partitions checked: 0 problems"
}

@test "> /dev/full is exit 4; | head is quiet" {
	hub
	rm st/raw/x/dt=2026-11-1[89]/part-00000.jsonl
	capture sh -c 'dh-check -s st >/dev/full'
	assert_status 4
	capture sh -c 'dh-check -s st | head -n 1'
	assert_status 0
	assert_out "raw/x/dt=2026-11-18: part-00000.jsonl: missing (the manifest lists it)"
}

@test "bad usage: the exact lines; a malformed expectation names its column" {
	capture dh-check --bogus
	assert_status 2
	assert_err $'dh-check: unrecognized option \'--bogus\'\nTry \'dh-check --help\' for more information.'
	assert_out_empty
	capture dh-check -e 'not_null(v'
	assert_status 2
	assert_err $'dh-check: -e "not_null(v": column 11: expected \',\' or \')\'\nTry \'dh-check --help\' for more information.'
	capture dh-check -s
	assert_status 2
	assert_err $'dh-check: option requires an argument -- \'s\'\nTry \'dh-check --help\' for more information.'
}

@test "a manifest naming ../x: the exact line, and the file outside is never opened" {
	hub
	m=st/raw/x/dt=2026-11-19/_MANIFEST
	mkfifo st/raw/x/outside # opening it to read would block
	jq '.files[0].name = "../outside"' $m >t && mv t $m
	capture timeout "$DH_HANG" dh-check -s st raw/x/dt=2026-11-19
	assert_status 1
	assert_out 'raw/x/dt=2026-11-19: _MANIFEST: file name "../outside" is not a plain name in the partition'
	jq '.files[0].name = "/etc/passwd"' $m >t && mv t $m
	capture timeout "$DH_HANG" dh-check -s st raw/x/dt=2026-11-19
	assert_status 1
	assert_out 'raw/x/dt=2026-11-19: _MANIFEST: file name "/etc/passwd" is not a plain name in the partition'
}

@test "a linked data file is missing, never followed; a bad record is named with its line" {
	hub
	d=st/raw/x/dt=2026-11-19
	rm $d/part-00000.jsonl
	ln -s "$PWD/d.jsonl" $d/part-00000.jsonl
	capture dh-check -s st raw/x/dt=2026-11-19
	assert_status 1
	assert_out "raw/x/dt=2026-11-19: part-00000.jsonl: missing (the manifest lists it)"
	# a file of the manifest's size and hash whose second record is not JSON
	rm $d/part-00000.jsonl
	printf '{"dt":"2026-11-19","v":3}\n{"v":\n' >$d/part-00000.jsonl
	jq --arg h "$(xxhsum -H2 $d/part-00000.jsonl | cut -d' ' -f1)" \
		--argjson n "$(stat -c %s $d/part-00000.jsonl)" \
		'.files[0].xxh128 = $h | .files[0].bytes = $n | .bytes = $n' $d/_MANIFEST >t && mv t $d/_MANIFEST
	capture dh-check -s st raw/x/dt=2026-11-19
	assert_status 1
	assert_out_match '^raw/x/dt=2026-11-19: part-00000\.jsonl:2: a bad record: '
	[ "$(wc -l <"$DH_OUT")" = 1 ] || fail "$out"
	printf '{' >$d/_MANIFEST
	capture dh-check -s st raw/x/dt=2026-11-19
	assert_status 1
	assert_out_match '^raw/x/dt=2026-11-19: _MANIFEST: '
}

@test "stale: an input gone; a rebuilt input partition; --json" {
	hub
	rm t.sh
	capture dh-check -s st clean/y
	assert_status 1
	assert_out "clean/y/day=1: stale: input $PWD/t.sh gone"
	printf 'cat\n' >t.sh # the same bytes: not stale
	capture dh-check -s st clean/y
	assert_status 0
	# the input partition rebuilt: its manifest's hash changed
	sleep 1
	printf '{"dt":"2026-11-18","v":1}\n{"dt":"2026-11-18","v":2}\n' |
		dh-partition -s st --by dt raw/x >/dev/null
	capture dh-check -s st --json clean/y
	assert_status 1
	assert_err_empty
	[ "$(jq -c . "$DH_OUT")" = '{"partition":"clean/y/day=1","problem":"stale: input raw/x/dt=2026-11-18 changed"}' ] ||
		fail "$out"
}

@test "schema drift: a missing field; a null is no kind; mixed kinds" {
	hub
	printf '{"dt":"2026-11-22"}\n{"dt":"2026-11-23","v":null}\n{"dt":"2026-11-24","v":null}\n{"dt":"2026-11-24","v":1}\n{"dt":"2026-11-25","v":1}\n{"dt":"2026-11-25","v":"x"}\n' |
		dh-partition -s st --by dt raw/x >/dev/null
	capture dh-check -s st raw/x
	assert_status 1
	assert_out 'raw/x/dt=2026-11-22: field "v" (number in raw/x/dt=2026-11-18) is missing
raw/x/dt=2026-11-23: field "v" (number in raw/x/dt=2026-11-18) is missing
raw/x/dt=2026-11-25: field "v" is number,string, in raw/x/dt=2026-11-18 number'
	assert_err "dh-check: 7 partitions checked: 3 problems"
}

@test "schema drift: a partition that fails its checks is not the base, nor compared" {
	hub
	rm st/raw/x/dt=2026-11-18/part-00000.jsonl
	printf '{"dt":"2026-11-22","v":"s"}\n' | dh-partition -s st --by dt raw/x >/dev/null
	capture dh-check -s st raw/x
	assert_status 1
	assert_out 'raw/x/dt=2026-11-18: part-00000.jsonl: missing (the manifest lists it)
raw/x/dt=2026-11-22: field "v" is string, in raw/x/dt=2026-11-19 number'
}

@test "operands: a table, a partition, a prefix; a directory of tables and unknown names are exit 2" {
	hub
	capture dh-check -s st clean/y
	assert_status 0
	assert_err "dh-check: 1 partition checked: 0 problems"
	capture dh-check -s st raw/x raw/x/dt=2026-11-18
	assert_status 0
	assert_err "dh-check: 3 partitions checked: 0 problems"
	printf '{"a":"p","b":"q"}\n{"a":"p","b":"r"}\n{"a":"s","b":"q"}\n' |
		dh-partition -s st --by a --by b two >/dev/null
	capture dh-check -s st two/a=p
	assert_status 0
	assert_err "dh-check: 2 partitions checked: 0 problems"
	capture dh-check -s st raw
	assert_status 2
	assert_out_empty
	assert_err "dh-check: no table or partition 'raw' in st"
	capture dh-check -s st raw/x/dt=1999-01-01
	assert_status 2
	assert_err "dh-check: no table or partition 'raw/x/dt=1999-01-01' in st"
	capture dh-check -s st raw/x raw/nope
	assert_status 2
	assert_out_empty
	assert_err "dh-check: no table or partition 'raw/nope' in st"
	capture env DH_STATE=st dh-check raw/x/dt=2026-11-18
	assert_status 0
	assert_err "dh-check: 1 partition checked: 0 problems"
	mv st state
	capture env -u DH_STATE dh-check raw/x/dt=2026-11-18
	assert_status 0
}

@test "--continuous: months and years; an incomplete partition is there; only what the operands name" {
	hub
	printf '{"t":"2026-09-20T00:00:00Z"}\n{"t":"2026-12-01T00:00:00Z"}\n{"t":"2023-05-01T00:00:00Z"}\n' >m.jsonl
	dh-partition -s st --by m=t:month months m.jsonl >/dev/null
	dh-partition -s st --by y=t:year years m.jsonl >/dev/null
	capture dh-check -s st --continuous months years
	assert_status 1
	[ "$(sed -n 1p "$DH_OUT")" = "months/m=2023-06: missing: a gap in the month sequence of m" ] ||
		fail "$(head -n 3 "$DH_OUT")"
	# 2023-06 to 2026-08, then 2026-10 and 2026-11
	[ "$(grep -c '^months/' "$DH_OUT")" = 41 ] || fail "$(head -n 3 "$DH_OUT")"
	grep -qx 'months/m=2026-11: missing: a gap in the month sequence of m' "$DH_OUT" || fail "$out"
	! grep -q '^months/m=2026-09' "$DH_OUT" || fail "$out"
	[ "$(grep -v '^months/' "$DH_OUT")" = "years/y=2024: missing: a gap in the year sequence of y
years/y=2025: missing: a gap in the year sequence of y" ] || fail "$out"
	# day 20 there but incomplete: no gap, and not checked
	printf '{"dt":"2026-11-20","v":9}\n' | dh-partition -s st --by dt raw/x >/dev/null
	rm st/raw/x/dt=2026-11-20/_SUCCESS
	capture dh-check -s st --continuous raw/x
	assert_status 0
	assert_err "dh-check: 3 partitions checked: 0 problems"
	# a table whose first key is not a time: no gaps
	capture dh-check -s st --continuous clean/y
	assert_status 0
	# the operands 18 and 21: the gap between them
	rm -r st/raw/x/dt=2026-11-20
	capture dh-check -s st --continuous raw/x/dt=2026-11-18 raw/x/dt=2026-11-19
	assert_status 0
	capture dh-check -s st --continuous raw/x/dt=2026-11-18 raw/x/dt=2026-11-21
	assert_status 1
	assert_out "raw/x/dt=2026-11-19: missing: a gap in the day sequence of dt
raw/x/dt=2026-11-20: missing: a gap in the day sequence of dt"
}

@test "--json: each problem an object, no count on stderr; --stats and --metrics count problems" {
	hub
	rm st/raw/x/dt=2026-11-19/part-00000.jsonl
	: >st/raw/x/dt=2026-11-21/.tmp.a
	capture dh-check -s st --json --continuous
	assert_status 1
	assert_err_empty
	[ "$(jq -s length "$DH_OUT")" = 3 ] || fail "$out"
	[ "$(jq -r '.partition' "$DH_OUT")" = "raw/x/dt=2026-11-19
raw/x/dt=2026-11-21
raw/x/dt=2026-11-20" ] || fail "$out"
	[ "$(jq -c 'keys' "$DH_OUT" | sort -u)" = '["partition","problem"]' ] || fail "$out"
	capture dh-check -s st --stats
	assert_status 1
	[ "$(sed -n 1p "$DH_ERR")" = "dh-check: 4 partitions checked: 2 problems" ] || fail "$err"
	[ "$(sed -n 2p "$DH_ERR" | jq -c '[.program, .problems]')" = '["dh-check",2]' ] || fail "$err"
	capture dh-check -s st --metrics graphite
	assert_status 1
	assert_err_match '^dh\.dh-check\.problems 2 [0-9]+$'
	capture dh-check -s st --json --stats clean/y
	assert_status 0
	[ "$(jq -c '.problems' "$DH_ERR")" = 0 ] || fail "$err"
}

@test "> /dev/full: exit 4 with the message, --json too; nothing to write is no error" {
	hub
	capture sh -c 'dh-check -s st >/dev/full'
	assert_status 0
	rm st/raw/x/dt=2026-11-19/part-00000.jsonl
	capture sh -c 'dh-check -s st --json >/dev/full'
	assert_status 4
	assert_err "dh-check: write error: stdout: No space left on device"
}

@test "the manifest's total records are held to its files' counts" {
	hub
	m=st/raw/x/dt=2026-11-21/_MANIFEST
	jq '.records = 5' $m >t && mv t $m
	capture dh-check -s st raw/x/dt=2026-11-21
	assert_status 1
}

@test "schema drift names a field with a space whole" {
	printf '{"d":"1","a b":1}\n{"d":"2","a b":"s"}\n' | dh-partition -s st --by d s >/dev/null
	capture dh-check -s st
	assert_status 1
	assert_out 's/d=2: field "a b" is string, in s/d=1 number'
}
