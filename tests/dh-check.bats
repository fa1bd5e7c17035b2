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
	jq '.files[0].records = 3' $m >t && mv t $m
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
