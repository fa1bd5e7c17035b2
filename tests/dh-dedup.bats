#!/usr/bin/env bats
# dh-dedup: duplicates dropped by whole record or key, in a window, across
# runs; held against awk '!seen[$0]++' and references computed here.

load helper

setup() {
	dh_setup
	ROOT=$BATS_TEST_DIRNAME/..
	GEN=$ROOT/${BUILD:-build}/tools/gen
	RSS=$ROOT/${BUILD:-build}/tools/rss
}

# events with redeliveries: N generated events (the generator already
# repeats about 3% of them, some with another time), and a third of them
# sent again later in the stream (shuffled with a fixed seed)
redelivered() {
	"$GEN" -n "$1" -f "$2" -s "${3:-5}" >base.$2
	if [ "$2" = csv ]; then
		head -n 1 base.csv >dup.csv
		tail -n +2 base.csv | awk 'NR % 3 == 0' | cat <(tail -n +2 base.csv) - |
			shuf --random-source=<(yes) >>dup.csv
	else
		awk 'NR % 3 == 0' base.jsonl | cat base.jsonl - | shuf --random-source=<(yes) >dup.jsonl
	fi
}

@test "--help, --version and usage errors" {
	capture dh-dedup --help
	assert_status 0
	[[ $out == "Usage: dh-dedup "* ]] || fail "help: $out"
	[[ $out == *"See dh-dedup(1)"* ]] || fail "help has no pointer to the man page"
	capture dh-dedup --version
	assert_status 0
	[[ $out == "dh-dedup (dh) "* ]] || fail "version: $out"
	capture dh-dedup --bogus
	assert_status 2
	capture dh-dedup --keep middle
	assert_status 2
	assert_err $'dh-dedup: --keep takes first or last, not \'middle\'\nTry \'dh-dedup --help\' for more information.'
	capture dh-dedup --within 1h
	assert_status 2
	assert_err_match 'needs --time FIELD'
	capture dh-dedup --time ts
	assert_status 2
	assert_err_match 'needs --within DUR'
	for d in 0s 1 h 1x 1h- -5m 1.h .5 99999999999d; do
		capture dh-dedup --within "$d" --time ts
		assert_status 2
		assert_err_match "^dh-dedup: --within $d: "
	done
	capture dh-dedup --within 1h --time ts --keep last
	assert_status 2
	capture dh-dedup --within 1h --time ts --seen s.seen
	assert_status 2
	capture dh-dedup -k ''
	assert_status 2
	capture dh-dedup -k a,,b
	assert_status 2
	capture dh-dedup --max-memory lots
	assert_status 2
	capture dh-dedup --max-memory 5Q
	assert_status 2
	capture dh-dedup -f xml
	assert_status 2
	capture dh-dedup --dups x --seen x
	assert_status 2
}

@test "empty input is no output; a CSV of only a header gives its header" {
	capture dh-dedup </dev/null
	assert_status 0
	assert_out_empty
	printf 'a,b\n' >h.csv
	capture dh-dedup h.csv
	assert_status 0
	assert_out 'a,b'
}

@test "whole record, JSON lines: exactly awk '!seen[\$0]++' on exact redeliveries, bytes kept" {
	redelivered 3000 jsonl
	awk '!seen[$0]++' dup.jsonl >want
	capture dh-dedup dup.jsonl
	assert_status 0
	assert_out_file want
	[ "$(wc -l <want)" -lt "$(wc -l <dup.jsonl)" ] || fail "no duplicates in the test data"
}

@test "whole record, CSV: exactly awk '!seen[\$0]++' (header aside), quoting kept" {
	redelivered 3000 csv
	awk '!seen[$0]++' dup.csv >want
	capture dh-dedup dup.csv
	assert_status 0
	assert_out_file want
	grep -q '"Mozilla' want || fail "no quoted field in the test data"
}

@test "the same record is the same field names and values: order, spacing and escapes do not count" {
	cat >v.jsonl <<'EOF'
{"a":1,"b":"x","c":{"y":[1,{"q":null,"p":true}],"x":2}}
{"c":{"x":2,"y":[1,{"p":true,"q":null}]},"b":"x","a":1}
{ "b" : "\u0078" , "a" : 1 , "c" : { "x" : 2 , "y" : [ 1 , { "p" : true , "q" : null } ] } }
{"a":1.0,"b":"x","c":{"y":[1,{"q":null,"p":true}],"x":2}}
{"a":"1","b":"x","c":{"y":[1,{"q":null,"p":true}],"x":2}}
{"a":1,"b":"x","c":{"y":[{"q":null,"p":true},1],"x":2}}
{"a":1,"b":"x","c":{"y":[1,{"q":null,"p":true}],"x":2},"d":null}
{"a":1,"b":"x","c":{"y":[1,{"q":null,"p":false}],"x":2}}
{"a":1,"b":"x ","c":{"y":[1,{"q":null,"p":true}],"x":2}}
{"a":1,"bx":"","c":{"y":[1,{"q":null,"p":true}],"x":2}}
EOF
	capture dh-dedup --dups d.jsonl v.jsonl
	assert_status 0
	# lines 2 and 3 repeat line 1; every other line differs in a value,
	# a kind (1.0, "1"), an order inside an array, or a field
	[ "$out" = "$(sed -n '1p;4,$p' v.jsonl)" ] || fail "kept: $out"
	[ "$(cat d.jsonl)" = "$(sed -n '2,3p' v.jsonl)" ] || fail "dropped: $(cat d.jsonl)"
}

@test "-k: by key, first kept, against awk on the key column; dotted paths into nested JSON" {
	redelivered 2000 csv
	# the same event_id with another value elsewhere is still a duplicate
	awk -F, -v OFS=, 'NR > 1 && NR % 7 == 0 { $2 = "changed" } 1' dup.csv >k.csv
	awk -F, '!seen[$1]++' k.csv >want
	capture dh-dedup -k event_id k.csv
	assert_status 0
	assert_out_file want
	# a key of two fields, one a dotted path into nested JSON
	printf '%s\n' '{"u":1,"d":{"b":"x"},"n":1}' '{"u":1,"d":{"b":"y"},"n":2}' \
		'{"u":1,"d":{"b":"x"},"n":3}' '{"u":2,"d":{"b":"x"},"n":4}' >n.jsonl
	capture dh-dedup -k u,d.b n.jsonl
	assert_status 0
	[ "$(jq -c .n <"$DH_OUT" | tr '\n' ' ')" = "1 2 4 " ] || fail "$out"
}

@test "--keep last: the last of each key, in input order, against tac | awk | tac" {
	redelivered 2000 csv
	awk -F, -v OFS=, 'NR > 1 && NR % 5 == 0 { $2 = "v" NR } 1' dup.csv >k.csv
	{ head -n 1 k.csv; tail -n +2 k.csv | tac | awk -F, '!seen[$1]++' | tac; } >want
	capture dh-dedup -k event_id --keep last --dups d.csv k.csv
	assert_status 0
	assert_out_file want
	# kept and dropped together are the input, each line once
	cmp <(tail -n +2 k.csv | sort) <(cat <(tail -n +2 want) <(tail -n +2 d.csv) | sort) ||
		fail "output plus dups is not the input"
	# whole records, JSON lines
	redelivered 1000 jsonl
	tac dup.jsonl | awk '!seen[$0]++' | tac >want2
	capture dh-dedup --keep last dup.jsonl
	assert_status 0
	assert_out_file want2
}

@test "--dups: output plus dups is the input, line for line; --stats and --metrics count them" {
	redelivered 3000 jsonl
	capture dh-dedup -k event_id --dups d.jsonl --stats dup.jsonl
	assert_status 0
	cmp <(sort dup.jsonl) <(sort "$DH_OUT" d.jsonl) || fail "output plus dups is not the input"
	# event_id is the fourth '"'-separated piece of each line
	awk -F'"' '!seen[$4]++' dup.jsonl | cmp - "$DH_OUT" || fail "output"
	awk -F'"' 'seen[$4]++' dup.jsonl | cmp - d.jsonl || fail "dups are not the later copies, in order"
	n=$(wc -l <dup.jsonl)
	u=$(awk -F'"' '!seen[$4]++' dup.jsonl | wc -l)
	[ "$(printf '%s' "$err" | jq -c '[.records_in, .records_out, .duplicates, .rejected]')" = "[$n,$u,$((n - u)),0]" ] ||
		fail "stats: $err"
	capture dh-dedup --metrics graphite -k event_id dup.jsonl
	assert_status 0
	assert_err_match "^dh\\.dh-dedup\\.duplicates $((n - u)) [0-9]+$"
	# CSV dups get their own header
	redelivered 500 csv
	capture dh-dedup --dups d.csv dup.csv
	assert_status 0
	[ "$(head -n 1 d.csv)" = "$(head -n 1 dup.csv)" ] || fail "dups without the header"
	cmp <(tail -n +2 dup.csv | sort) <(cat <(tail -n +2 "$DH_OUT") <(tail -n +2 d.csv) | sort) ||
		fail "CSV output plus dups is not the input"
}

@test "a record without the key or with a bad time is a located error, or a reject" {
	printf '%s\n' '{"id":1}' '{"x":2}' '{"id":1}' >m.jsonl
	capture dh-dedup -k id m.jsonl
	assert_status 3
	assert_err "dh-dedup: m.jsonl:2: no field 'id' for the key"
	capture dh-dedup -k id --rejects r.jsonl m.jsonl
	assert_status 0
	assert_out '{"id":1}'
	[ "$(jq -c '[.line, .reason]' r.jsonl)" = "[2,\"no field 'id' for the key\"]" ] || fail "$(cat r.jsonl)"
	printf '%s\n' '{"id":1,"ts":"2026-11-20T10:00:00Z"}' '{"id":1,"ts":"yesterday"}' >t.jsonl
	capture dh-dedup -k id --within 1h --time ts t.jsonl
	assert_status 3
	assert_err 'dh-dedup: t.jsonl:2: field "ts": not an ISO 8601 time or epoch seconds: "yesterday"'
	printf '{"id":1,"ts":"3000-01-01T00:00:00Z"}\n' >far.jsonl
	capture dh-dedup -k id --within 1h --time ts far.jsonl
	assert_status 3
	assert_err_match 'out of range'
	printf '{"a":1}\n{"a":\n' >bad.jsonl
	capture dh-dedup bad.jsonl
	assert_status 3
	assert_err_match '^dh-dedup: bad.jsonl:2: '
}

# The --within reference: epoch-second times, the rules of dh-dedup(1)
# written out in awk: a record is a duplicate of its key's kept record when
# less than W apart, unless the newest time seen is W or more past it.
within_ref() {
	awk -v W="$1" '{
		match($0, /"id":[0-9]+/); id = substr($0, RSTART + 5, RLENGTH - 5)
		match($0, /"t":[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4) + 0
		if (NR == 1 || t > wm) wm = t
		if (id in kept) {
			k = kept[id]; d = t > k ? t - k : k - t
			if (k > wm - W && d < W) next
			if (t > k || k <= wm - W) kept[id] = t
		} else kept[id] = t
		print
	}' "$2"
}

@test "--within: against an awk reference, on out-of-order times, epoch and ISO" {
	# 4000 events of 40 keys over ~3 hours, out of order by up to 20 minutes
	awk 'BEGIN { srand(7); for (i = 0; i < 4000; i++) {
		t = 1795132800 + i * 3 + int(rand() * 1200) - 600
		printf "{\"id\":%d,\"t\":%d,\"n\":%d}\n", int(rand() * 40), t, i } }' >w.jsonl
	for w in 1 60 300 1800; do
		within_ref "$w" w.jsonl >want
		capture dh-dedup -k id --within "${w}s" --time t w.jsonl
		assert_status 0
		assert_out_file want
	done
	# the same times as ISO 8601 give the same answer
	jq -c '.t |= (todate)' w.jsonl >iso.jsonl
	within_ref 300 w.jsonl | jq -c '.t |= (todate)' >want
	capture dh-dedup -k id --within 5m --time t iso.jsonl
	assert_status 0
	assert_out_file want
}

@test "--within streams: each record is out before the input ends" {
	mkfifo in.fifo
	dh-dedup -k id --within 1h --time t <in.fifo >o.jsonl &
	pid=$!
	# (bats keeps descriptor 3 for itself)
	exec 7>in.fifo
	printf '{"id":1,"t":100}\n{"id":1,"t":200}\n{"id":2,"t":300}\n' >&7
	for _ in $(seq 50); do
		[ "$(wc -l <o.jsonl)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(wc -l <o.jsonl)" -eq 2 ] || fail "after 5 s: $(cat o.jsonl)"
	exec 7>&-
	wait "$pid"
}

@test "--within forgets: memory stays bounded on a long stream of distinct keys" {
	skip_if_sanitized dh-dedup
	# 1M distinct keys, one a second: with a 1-minute window the table
	# holds ~60 keys, not a million
	awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "{\"id\":%d,\"t\":%d}\n", i, i }' >s.jsonl
	# one thread: the chunked reader's mapping of the file would count too
	DH_THREADS=1 "$RSS" stats dh-dedup -k id --within 1m --time t s.jsonl >/dev/null
	read -r _ kib <stats
	# all of it fits far under the 16+ MB a million keys would need
	[ "$kib" -lt 12000 ] || fail "peak RSS ${kib} KiB"
}

@test "1M distinct keys within 80 MB peak RSS (whole record, -k, and --keep last)" {
	skip_if_sanitized dh-dedup
	awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "{\"id\":%d}\n", i }' >u.jsonl
	for args in "" "-k id" "-k id --keep last"; do
		# shellcheck disable=SC2086 # args are words
		"$RSS" stats dh-dedup $args u.jsonl >o.jsonl
		read -r _ kib <stats
		[ "$kib" -lt 81920 ] || fail "dh-dedup $args: peak RSS ${kib} KiB"
		cmp -s o.jsonl u.jsonl || fail "dh-dedup $args changed the output"
	done
}

@test "--max-memory: past it, exit 4 and a message instead of the OOM killer" {
	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"id\":%d}\n", i }' >u.jsonl
	capture dh-dedup --max-memory 1M u.jsonl
	assert_status 4
	assert_err_match '^dh-dedup: [0-9]+ distinct keys fill the memory allowed \(--max-memory 1 MiB\)'
	capture dh-dedup --max-memory 64MiB u.jsonl
	assert_status 0
}

@test "--seen: batches deduplicated against earlier runs equal one run over all of them" {
	redelivered 3000 jsonl
	split -n l/3 -d dup.jsonl b.
	: >all.out
	for b in b.00 b.01 b.02; do
		capture dh-dedup -k event_id --seen ids.seen "$b"
		assert_status 0
		cat "$DH_OUT" >>all.out
	done
	dh-dedup -k event_id dup.jsonl >want
	cmp all.out want || fail "batched output differs from a single run"
	# a rerun of the last batch now finds every key seen
	capture dh-dedup -k event_id --seen ids.seen b.02
	assert_status 0
	assert_out_empty
	# the file: magic, key count, spec
	[ "$(head -c 8 ids.seen)" = "DHSEEN1" ] || fail "magic"
	u=$(wc -l <want)
	[ "$(od -An -tu8 -j8 -N8 ids.seen | tr -d ' ')" = "$u" ] || fail "count"
	[ "$(stat -c %s ids.seen)" -eq $((24 + 11 + 16 * u + 16)) ] || fail "size"
	no_temp .
}

@test "--seen: another key spec is exit 2, a damaged file exit 3, a failed run leaves it as it was" {
	printf '%s\n' '{"id":1}' '{"id":2}' >a.jsonl
	dh-dedup -k id --seen s.seen a.jsonl >/dev/null
	cp s.seen before
	capture dh-dedup --seen s.seen a.jsonl
	assert_status 2
	assert_err_match 's.seen holds the keys of -k id, not of record'
	# a run that fails on bad input does not add its keys
	printf '%s\n' '{"id":3}' '{"id":' >bad.jsonl
	capture dh-dedup -k id --seen s.seen bad.jsonl
	assert_status 3
	cmp s.seen before || fail "a failed run changed the seen file"
	# a flipped byte in a key, a truncation, another magic
	cp before s.seen
	printf '\x55' | dd of=s.seen bs=1 seek=40 conv=notrunc status=none
	capture dh-dedup -k id --seen s.seen a.jsonl
	assert_status 3
	assert_err_match 'damaged seen file'
	head -c 50 before >s.seen
	capture dh-dedup -k id --seen s.seen a.jsonl
	assert_status 3
	assert_err_match 'truncated seen file'
	printf 'hello\n' >s.seen
	capture dh-dedup -k id --seen s.seen a.jsonl
	assert_status 3
	assert_err_match 'not a dh-dedup seen file'
	no_temp .
}

@test "--seen with --keep last drops every copy of a key seen before" {
	printf '%s\n' '{"id":1,"v":1}' >a.jsonl
	printf '%s\n' '{"id":1,"v":2}' '{"id":2,"v":1}' '{"id":2,"v":2}' '{"id":1,"v":3}' >b.jsonl
	dh-dedup -k id --seen s.seen a.jsonl >/dev/null
	capture dh-dedup -k id --keep last --seen s.seen b.jsonl
	assert_status 0
	assert_out '{"id":2,"v":2}'
}

@test "formats: CSV to JSON lines, several CSV inputs under one header, a partition as input" {
	printf 'id,v\n1,a\n2,b\n' >a.csv
	printf 'id,v\n2,b\n3,c\n' >b.csv
	capture dh-dedup a.csv b.csv
	assert_status 0
	assert_out $'id,v\n1,a\n2,b\n3,c'
	capture dh-dedup -t jsonl a.csv b.csv
	assert_status 0
	assert_out $'{"id":"1","v":"a"}\n{"id":"2","v":"b"}\n{"id":"3","v":"c"}'
	# nested JSON written as CSV flattens, as dh-convert does
	printf '%s\n' '{"a":{"b":1}}' '{"a":{"b":1}}' >n.jsonl
	capture dh-dedup -t csv n.jsonl
	assert_status 0
	assert_out $'a.b\n1'
	# a partition directory stands for its data files
	redelivered 500 jsonl
	dh-partition -s st -p d=1 t dup.jsonl >/dev/null
	capture dh-dedup st/t/d=1
	assert_status 0
	awk '!seen[$0]++' dup.jsonl | cmp - "$DH_OUT" || fail "partition input"
	rm st/t/d=1/_SUCCESS
	capture dh-dedup st/t/d=1
	assert_status 3
}

@test "compressed input is read by content" {
	redelivered 500 jsonl
	gzip -c dup.jsonl >dup.gz
	capture dh-dedup -f jsonl dup.gz
	assert_status 0
	awk '!seen[$0]++' dup.jsonl | cmp - "$DH_OUT" || fail "gzip input"
}

@test "in parallel chunks (DH_THREADS) the output, dups and rejects are a sequential run's" {
	"$GEN" -n 20000 -f jsonl -s 9 >e.jsonl
	awk 'NR % 4 == 0' e.jsonl | cat e.jsonl - | shuf --random-source=<(yes) >d.jsonl
	# bad lines and records without the key, spread through the chunks
	awk 'NR % 997 == 0 { print "{\"bad\":" } NR % 1499 == 0 { print "{\"no_id\":1}" } 1' d.jsonl >in.jsonl
	for args in "" "-k event_id" "-k event_id --within 10m --time ts"; do
		# shellcheck disable=SC2086 # args are words
		DH_THREADS=1 dh-dedup $args --dups d1 --rejects r1 in.jsonl >o1 2>/dev/null
		# shellcheck disable=SC2086
		DH_THREADS=2 dh-dedup $args --dups d2 --rejects r2 in.jsonl >o2 2>/dev/null
		cmp o1 o2 || fail "output differs in parallel: $args"
		cmp d1 d2 || fail "dups differ in parallel: $args"
		cmp r1 r2 || fail "rejects differ in parallel: $args"
		[ -s r1 ] && [ -s d1 ] || fail "the test data has no rejects or no dups"
		rm -f r1 r2
	done
	# CSV too, where a quoted field may hold a newline
	"$GEN" -n 20000 -f csv -s 9 >e.csv
	DH_THREADS=1 dh-dedup -k user_id e.csv >o1
	DH_THREADS=2 dh-dedup -k user_id e.csv >o2
	cmp o1 o2 || fail "CSV output differs in parallel"
}

@test "--dups - is refused: standard output carries the records kept" {
	capture dh-dedup --dups - </dev/null
	assert_status 2
	assert_err $'dh-dedup: --dups -: standard output carries the records kept; name a file (/dev/stderr, a FIFO)\nTry \'dh-dedup --help\' for more information.'
	[ ! -e ./- ] || fail "a file named - was made"
}

# kill -9 at random moments (scripts/crash-test; its long run is
# `make crash-test`): dh-dedup --seen piped into dh-partition, batch after
# batch, the seen file copied before each and put back after a kill, as
# the man page's caveat says; the seen file is always the old or the new
# one, a complete partition never holds a cut stream, and after a rerun
# every record is published once, as an uninterrupted run publishes it.
@test "kill -9 at 50 random moments: the seen file and the published batches stay consistent" {
	command -v setsid >/dev/null || skip "setsid is not installed"
	capture env DH_BUILD="$ROOT/${BUILD:-build}" "$ROOT/scripts/crash-test" 50 dedup
	assert_status 0
	assert_out_match '^crash-test: 50 kills of dh-dedup --seen \| dh-partition, every record published once \([0-9]+ mid-run, [0-9]+ after the keys were saved\)$'
}

@test "-k on JSON lines: members other than the key are still checked; kept and dropped records come out whole" {
	printf '{"id":1,"v":{"a":[1,2]}}\n{"v":"x","id":1}\n{"id":2,"v":{"a":1,"a":2}}\n' >k.jsonl
	capture dh-dedup -k id k.jsonl
	assert_status 3
	assert_err "dh-dedup: k.jsonl:3: invalid JSON at column 22: duplicate object key near '\"a\"'"
	printf '{"id":1,"v":{"a":[1,2]}}\n{"v":"x","id":1}\n{"id":2,"w":null}\n{"idx":3,"id":2}\n' >k2.jsonl
	capture dh-dedup -k id --dups d.jsonl k2.jsonl
	assert_status 0
	assert_out '{"id":1,"v":{"a":[1,2]}}
{"id":2,"w":null}'
	[ "$(cat d.jsonl)" = '{"v":"x","id":1}
{"idx":3,"id":2}' ] || fail "dups: $(cat d.jsonl)"
}

@test "--keep last over inputs of two formats: the last of each key, every record written from its fields" {
	printf '{"id":"1","v":"a"}\n{"id":"2","v":"b"}\n' >m1.jsonl
	printf 'id,v\n1,c\n3,d\n' >m2.csv
	capture dh-dedup -k id --keep last --dups d.jsonl m1.jsonl m2.csv
	assert_status 0
	assert_out '{"id":"2","v":"b"}
{"id":"1","v":"c"}
{"id":"3","v":"d"}'
	[ "$(cat d.jsonl)" = '{"id":"1","v":"a"}' ] || fail "dups: $(cat d.jsonl)"
	capture dh-dedup --keep last m2.csv m1.jsonl
	assert_status 0
	assert_out 'id,v
1,c
3,d
1,a
2,b'
}
