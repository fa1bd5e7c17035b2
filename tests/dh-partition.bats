#!/usr/bin/env bats
# dh-partition: records into the partitions of a table, published whole.

load helper

setup() {
	dh_setup
	ROOT=$BATS_TEST_DIRNAME/..
	GEN=$ROOT/${BUILD:-build}/tools/gen
}

@test "--help, --version and a bad option" {
	capture dh-partition --help
	assert_status 0
	[[ $out == "Usage: dh-partition "* ]] || fail "help: $out"
	capture dh-partition --version
	assert_status 0
	[[ $out == "dh-partition (dh) "* ]] || fail "version: $out"
	capture dh-partition --bogus
	assert_status 2
	assert_err $'dh-partition: unrecognized option \'--bogus\'\nTry \'dh-partition --help\' for more information.'
	capture dh-partition -s st --by dt=ts:day
	assert_status 2
	capture dh-partition -s st t
	assert_status 2
	assert_err $'dh-partition: say how to partition: --by SPEC or -p KEY=VALUE\nTry \'dh-partition --help\' for more information.'
	capture dh-partition -s st --by dt=ts:week t
	assert_status 2
	capture dh-partition -s st --by dt=ts:day ../evil
	assert_status 2
	capture dh-partition -s st --by dt=ts:day _hidden
	assert_status 2
}

@test "by event day: the layout, _TABLE, manifests and data as DESIGN §4" {
	"$GEN" -n 3000 -f jsonl -s 3 >e.jsonl
	capture dh-partition -s st --by dt=ts:day clean/clicks e.jsonl
	assert_status 0
	assert_out $'st/clean/clicks/dt=2026-11-20\nst/clean/clicks/dt=2026-11-21\nst/clean/clicks/dt=2026-11-22'
	state_ok st || fail "state does not match its manifests"
	no_temp st
	[ "$(jq -c '[.name, .format, .partition_keys]' st/clean/clicks/_TABLE)" = '["clean/clicks","jsonl",["dt"]]' ] ||
		fail "_TABLE: $(cat st/clean/clicks/_TABLE)"
	for d in 2026-11-20 2026-11-21 2026-11-22; do
		p=st/clean/clicks/dt=$d
		[ "$(ls -A "$p" | tr '\n' ' ')" = "_MANIFEST _SUCCESS part-00000.jsonl " ] || fail "$p: $(ls -A "$p")"
		[ ! -s "$p/_SUCCESS" ] || fail "_SUCCESS is not empty"
		# byte for byte the input lines of that day, in input order
		grep "\"ts\":\"$d" e.jsonl | cmp -s - "$p/part-00000.jsonl" || fail "$p: data differs"
		[ "$(jq -c '[.dh_manifest, .table, .partition, .format, .compression, .records, (.files | length), .command[0]]' "$p/_MANIFEST")" = \
		  "[1,\"clean/clicks\",\"dt=$d\",\"jsonl\",null,$(grep -c "\"ts\":\"$d" e.jsonl),1,\"dh-partition\"]" ] ||
			fail "$p/_MANIFEST: $(cat "$p/_MANIFEST")"
	done
	[ "$(grep -c '"event":"publish"' st/_log.jsonl)" -eq 3 ] || fail "journal: $(cat st/_log.jsonl)"
}

@test "a rerun replaces each partition whole, with the same bytes; --append adds a file" {
	"$GEN" -n 2000 -f jsonl -s 4 >e.jsonl
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	h1=$(xxhsum -H2 st/t/dt=2026-11-21/part-00000.jsonl)
	head -500 e.jsonl >small.jsonl
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	[ "$(xxhsum -H2 st/t/dt=2026-11-21/part-00000.jsonl)" = "$h1" ] || fail "rerun changed the data"
	capture dh-partition -s st --by dt=ts:day --append t small.jsonl
	assert_status 0
	assert_out 'st/t/dt=2026-11-20'
	state_ok st || fail "state"
	[ "$(jq -r '[.files[].name] | join(" ")' st/t/dt=2026-11-20/_MANIFEST)" = "part-00000.jsonl part-00001.jsonl" ] ||
		fail "append: $(cat st/t/dt=2026-11-20/_MANIFEST)"
	[ "$(jq .records st/t/dt=2026-11-20/_MANIFEST)" -eq $(( $(grep -c '"ts":"2026-11-20' e.jsonl) + 500 )) ] ||
		fail "records after append"
	# replacing again drops the appended file
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	[ "$(ls st/t/dt=2026-11-20 | grep -v '^_')" = "part-00000.jsonl" ] || fail "$(ls st/t/dt=2026-11-20)"
	state_ok st
}

@test "--append: a killed run's leftover data file is removed and takes no number" {
	printf '%s\n' '{"k":"a","n":1}' >a.jsonl
	dh-partition -s st --by k t a.jsonl >/dev/null
	printf '{"left":1}\n' >st/t/k=a/part-00001.jsonl
	capture dh-partition -s st --by k --append t a.jsonl
	assert_status 0
	[ "$(jq -r '[.files[].name] | join(" ")' st/t/k=a/_MANIFEST)" = "part-00000.jsonl part-00001.jsonl" ] ||
		fail "$(cat st/t/k=a/_MANIFEST)"
	cmp a.jsonl st/t/k=a/part-00001.jsonl
	state_ok st
}

@test "Hive escaping: no value leaves its table; bad values are errors, never truncated" {
	printf '%s\n' '{"k":"../../etc"}' '{"k":"a/b"}' '{"k":""}' '{"k":null}' '{"x":1}' \
		'{"k":"."}' '{"k":".."}' '{"k":"x=y"}' '{"k":"%41"}' '{"k":"a\nb"}' '{"k":"café"}' >v.jsonl
	capture dh-partition -s st --by k t v.jsonl
	assert_status 0
	[ "$(find st -mindepth 1 -maxdepth 1 | sort | tr '\n' ' ')" = "st/_log.jsonl st/t " ] ||
		fail "something left the table: $(find st | sort)"
	(cd st/t && ls -d k=* | sort) >dirs
	printf '%s\n' 'k=%2541' 'k=.' 'k=..' 'k=..%2F..%2Fetc' 'k=__HIVE_DEFAULT_PARTITION__' 'k=a%0Ab' 'k=a%2Fb' 'k=café' 'k=x%3Dy' | sort >want
	cmp -s dirs want || fail "directories: $(cat dirs)"
	[ "$(wc -l <st/t/k=__HIVE_DEFAULT_PARTITION__/part-00000.jsonl)" -eq 3 ] || fail "empty, null, missing"
	state_ok st
	# invalid UTF-8 and a 300-byte value: exit 3 naming the line, nothing published
	printf '{"k":"ok"}\n{"k":"%s"}\n' "$(head -c 300 /dev/zero | tr '\0' x)" >long.jsonl
	capture dh-partition -s st2 --by k t long.jsonl
	assert_status 3
	[[ $err == 'dh-partition: long.jsonl:2: field "k": the partition directory name would be longer than 255 bytes: "xxxxxxxxxx'*'..."' ]] ||
		fail "$err"
	[ -z "$(find st2 -name _SUCCESS)" ] || fail "published after an error"
	no_temp st2
	printf 'k\n\xff\n' >bad.csv
	capture dh-partition -s st3 --by k t bad.csv
	assert_status 3
	[[ $err == "dh-partition: bad.csv:2: field \"k\": the partition value is not valid UTF-8: \"\\xff\""* ]] || fail "$err"
}

@test "a bad record stops the run with nothing published; --rejects goes on" {
	"$GEN" -n 1000 -f jsonl -s 5 >e.jsonl
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	h=$(xxhsum -H2 st/t/dt=2026-11-20/part-00000.jsonl)
	{ head -400 e.jsonl; echo '{"ts":"yesterday"}'; tail -n +401 e.jsonl; } >bad.jsonl
	capture dh-partition -s st --by dt=ts:day t bad.jsonl
	assert_status 3
	assert_err 'dh-partition: bad.jsonl:401: field "ts": not an ISO 8601 time or epoch seconds: "yesterday"'
	# the previous version is complete and untouched
	[ "$(xxhsum -H2 st/t/dt=2026-11-20/part-00000.jsonl)" = "$h" ] || fail "previous version changed"
	state_ok st
	no_temp st
	capture dh-partition -s st --by dt=ts:day --rejects rej.jsonl t bad.jsonl
	assert_status 0
	[ "$(jq -c '[.line, .record]' rej.jsonl)" = '[401,"{\"ts\":\"yesterday\"}"]' ] || fail "$(cat rej.jsonl)"
	state_ok st
}

@test "epoch times, --time-unit, hours and months; CSV in, CSV out with -z" {
	printf 'id,t\n1,1795182300\n2,1795182300.5\n3,1795185900\n' >s.csv
	capture dh-partition -s st --by h=t:hour t s.csv
	assert_status 0
	assert_out $'st/t/h=2026-11-20T13\nst/t/h=2026-11-20T14'
	[ "$(cat st/t/h=2026-11-20T13/part-00000.csv)" = $'id,t\n1,1795182300\n2,1795182300.5' ] ||
		fail "$(cat st/t/h=2026-11-20T13/part-00000.csv)"
	printf '{"t":1795182300000}\n' >ms.jsonl
	capture dh-partition -s st --by m=t:month --time-unit ms -z zstd -t csv m ms.jsonl
	assert_status 0
	assert_out 'st/m/m=2026-11'
	[ "$(zstd -dc st/m/m=2026-11/part-00000.csv.zst)" = $'t\n1795182300000' ] || fail "zstd"
	[ "$(jq -r .compression st/m/m=2026-11/_MANIFEST)" = zstd ] || fail "compression"
	state_ok st
}

@test "-p names the partition, also for empty input; --from records lineage" {
	printf 'echo hi\n' >transform.sh
	capture dh-partition -s st -p dt=2026-11-20 --from transform.sh daily/x </dev/null
	assert_status 0
	assert_out 'st/daily/x/dt=2026-11-20'
	[ "$(jq .records st/daily/x/dt=2026-11-20/_MANIFEST)" -eq 0 ] || fail "records"
	[ "$(jq -r '.inputs[0] | [.path, .bytes, .xxh128] | @tsv' st/daily/x/dt=2026-11-20/_MANIFEST)" = \
	  "$PWD/transform.sh	8	$(xxhsum -H2 transform.sh | cut -d' ' -f1)" ] || fail "$(cat st/daily/x/dt=2026-11-20/_MANIFEST)"
	echo '{"a":1}' | dh-partition -s st -p dt=2026-11-21 --from st/daily/x/dt=2026-11-20 daily/y >/dev/null
	[ "$(jq -r '.inputs[0] | [.path, .manifest_xxh128] | @tsv' st/daily/y/dt=2026-11-21/_MANIFEST)" = \
	  "daily/x/dt=2026-11-20	$(xxhsum -H2 st/daily/x/dt=2026-11-20/_MANIFEST | cut -d' ' -f1)" ] ||
		fail "$(cat st/daily/y/dt=2026-11-21/_MANIFEST)"
	capture dh-partition -s st -p dt=1 --from missing.sh daily/z </dev/null
	assert_status 4
	assert_err 'dh-partition: --from missing.sh: No such file or directory'
	# the table's keys are fixed by _TABLE
	capture dh-partition -s st --by day=ts:day daily/x </dev/null
	assert_status 2
}

@test "a second writer of a table exits 5, or waits with --wait" {
	echo '{"a":1}' >one.jsonl
	dh-partition -s st -p k=1 t one.jsonl >/dev/null
	flock st/t/_LOCK sleep 3 &
	sleep 0.5
	capture dh-partition -s st -p k=1 t one.jsonl
	assert_status 5
	[[ $err == "dh-partition: table t is being written by another process"* ]] || fail "$err"
	capture dh-partition -s st -p k=1 --wait 10 t one.jsonl
	assert_status 0
	assert_out 'st/t/k=1'
	wait
}

@test "1,000 partitions under ulimit -n 64" {
	awk 'BEGIN { for (i = 0; i < 5000; i++) printf "{\"u\":\"u%04d\",\"i\":%d}\n", i % 1000, i }' >u.jsonl
	capture bash -c 'ulimit -n 64 && dh-partition -s st --by u t u.jsonl'
	assert_status 0
	[ "$(wc -l <"$DH_OUT")" -eq 1000 ] || fail "published $(wc -l <"$DH_OUT")"
	[ "$(cat st/t/u=u0007/part-00000.jsonl)" = "$(grep '"u":"u0007"' u.jsonl)" ] || fail "u0007"
	state_ok st
}

@test "a full disk is exit 4, leaves no temp file and keeps the previous version" {
	mkdir st
	mount -t tmpfs -o size=1m tmpfs st 2>/dev/null || skip "cannot mount a small tmpfs here (not root)"
	"$GEN" -n 600 -f jsonl -s 6 >small.jsonl
	"$GEN" -n 20000 -f jsonl -s 6 >big.jsonl
	dh-partition -s st --by dt=ts:day t small.jsonl >/dev/null
	h=$(xxhsum -H2 st/t/dt=2026-11-21/part-00000.jsonl)
	capture dh-partition -s st --by dt=ts:day t big.jsonl
	assert_status 4
	[[ $err == "dh-partition: "*"No space left on device" ]] || fail "$err"
	no_temp st
	state_ok st || fail "state"
	[ "$(xxhsum -H2 st/t/dt=2026-11-21/part-00000.jsonl)" = "$h" ] || fail "previous version changed"
	[ -e st/t/dt=2026-11-21/_SUCCESS ] || fail "previous version lost its _SUCCESS"
	umount st
}

@test "temporary files a killed writer left (its _TABLE, a partition's _MANIFEST) are removed by the next writer" {
	"$GEN" -n 200 -f jsonl -s 6 >e.jsonl
	mkdir -p st/t
	echo '{"name":' >st/t/.tmp._TABLE.Ab12Cd
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	no_temp st
	state_ok st
	# dh-check recording into a partition takes the table lock too
	p=$(cd st && ls -d t/dt=* | head -1)
	echo partial >"st/$p/.tmp._MANIFEST.Xy34Zw"
	capture dh-check -s st -e 'rows(1,)' "$p"
	assert_status 0
	no_temp st
	state_ok st
}

# kill -9 at random moments (scripts/crash-test; its long run is
# `make crash-test`): after each, every _SUCCESS matches its files, and a
# rerun gives exactly what an uninterrupted run gives.
@test "kill -9 at 50 random moments never leaves a partition that lies" {
	capture env DH_BUILD="$ROOT/${BUILD:-build}" "$ROOT/scripts/crash-test" 50 partition
	assert_status 0
	assert_out_match '^crash-test: 50 kills of dh-partition, every partition true to its manifest \([0-9]+ mid-run\)$'
}

@test "DuckDB reads the table as Hive partitions" {
	mod=$ROOT/build/bench/node/node_modules/@duckdb/node-api
	[ -d "$mod" ] || skip "DuckDB is not installed (make bench installs it)"
	"$GEN" -n 1000 -f jsonl -s 2 >e.jsonl
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	cat >q.mjs <<EOS
import { DuckDBInstance } from '$mod/lib/index.js';
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const r = await c.runAndReadAll("SELECT dt, count(*) AS n FROM read_json('st/t/*/*.jsonl', hive_partitioning = true) GROUP BY dt ORDER BY dt");
for (const row of r.getRows()) console.log(row[0] + ' ' + row[1]);
EOS
	capture node q.mjs
	assert_status 0
	want=$(for d in 2026-11-20 2026-11-21 2026-11-22; do echo "$d $(grep -c "\"ts\":\"$d" e.jsonl)"; done)
	assert_out "$want"
}

@test "a partition given as input reads its data files in manifest order; incomplete ones are refused" {
	"$GEN" -n 1000 -f jsonl -s 11 >e.jsonl
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	head -100 e.jsonl | dh-partition -s st -p dt=2026-11-20 --append t >/dev/null
	head -100 e.jsonl >h.jsonl
	dh-partition -s st -p dt=2026-11-20 --append t h.jsonl >/dev/null
	capture dh-convert st/t/dt=2026-11-20
	assert_status 0
	{ grep '"ts":"2026-11-20' e.jsonl; cat h.jsonl h.jsonl; } | cmp -s - "$DH_OUT" ||
		fail "not the manifest's files in order"
	rm st/t/dt=2026-11-21/_SUCCESS
	capture dh-convert st/t/dt=2026-11-21
	assert_status 3
	assert_err 'dh-convert: st/t/dt=2026-11-21: the partition is incomplete: it has no _SUCCESS (use --allow-incomplete to read it anyway)'
	capture dh-convert --allow-incomplete st/t/dt=2026-11-21
	assert_status 0
	[ "$(wc -l <"$DH_OUT")" -eq "$(grep -c '"ts":"2026-11-21' e.jsonl)" ] || fail "allow-incomplete"
	capture dh-convert st/t
	assert_status 4
	assert_err 'dh-convert: st/t: is a directory, not a partition (it has no _MANIFEST)'
	# a partition as an input of dh-partition, recorded with --from
	capture dh-partition -s st --by c=country --from st/t/dt=2026-11-22 by/country st/t/dt=2026-11-22
	assert_status 0
	state_ok st
}

@test "CSV from one input passes through as read: quoting and spacing kept, the header on each file" {
	printf 'id,d,v\n1,a," x ""q"" "\n2,b,plain\n3,a,"multi\nline"\n' >in.csv
	capture dh-partition -s st --by d t in.csv
	assert_status 0
	[ "$(cat st/t/d=a/part-00000.csv)" = "$(printf 'id,d,v\n1,a," x ""q"" "\n3,a,"multi\nline"')" ] ||
		fail "$(cat st/t/d=a/part-00000.csv)"
	[ "$(cat st/t/d=b/part-00000.csv)" = $'id,d,v\n2,b,plain' ] || fail "$(cat st/t/d=b/part-00000.csv)"
	state_ok st
}

@test "a time key keeps its grain: hour buckets into a day table is a usage error, nothing written" {
	printf '%s\n' '{"ts":"2026-11-20T10:00:00Z"}' >e.jsonl
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	capture dh-partition -s st --by dt=ts:hour t e.jsonl
	assert_status 2
	assert_err_match 'table t holds day partitions \(dt=2026-11-20\): --by dt=ts:hour would mix grains'
	[ "$(ls st/t)" = "$(printf '%s\n' _LOCK _TABLE dt=2026-11-20)" ] || fail "$(ls st/t)"
	# the same grain, and a plain --by of another table, go on
	capture dh-partition -s st --by dt=ts:day t e.jsonl
	assert_status 0
	capture dh-partition -s st --by dt=ts u e.jsonl
	assert_status 0
}

@test "in parallel chunks (DH_THREADS=2) the partitions, rejects and errors are a sequential run's" {
	# over 4 MiB: several chunks; bad records in the middle and at a chunk's edge
	"$GEN" -n 20000 -f jsonl -s 7 >a.jsonl
	{ head -n 6000 a.jsonl; printf '{"ts":"not a time"}\n{"ts":\n'; tail -n +6001 a.jsonl; } >m.jsonl
	"$GEN" -n 20000 -f csv -s 7 >m.csv
	[ "$(wc -c <m.jsonl)" -gt $((8 << 20)) ] || fail "the input is too small to be cut: $(wc -c <m.jsonl)"
	for f in m.jsonl m.csv; do
		for t in 1 2; do
			DH_THREADS=$t capture dh-partition -s st$t --by dt=ts:hour --rejects rej$t.$f t/$f "$f"
			assert_status 0
			echo "${out//st$t\//}" >out$t.$f
			touch rej$t.$f
		done
		cmp out1.$f out2.$f || fail "$f: the published paths differ"
		cmp rej1.$f rej2.$f || fail "$f: the rejects differ: $(diff rej1.$f rej2.$f | head -5)"
		state_ok st2 || fail "state does not match its manifests"
	done
	[ "$(wc -l <rej2.m.jsonl)" -eq 2 ] || fail "rejects: $(cat rej2.m.jsonl)"
	# the data files byte for byte (manifests differ only in their creation time)
	for p in st1/t/*/dt=*; do
		q=st2/${p#st1/}
		for d in "$p"/part-*; do
			cmp "$d" "$q/${d##*/}" || fail "$d differs"
		done
		[ "$(jq -c '[.records, .files]' "$p/_MANIFEST")" = "$(jq -c '[.records, .files]' "$q/_MANIFEST")" ] ||
			fail "$q/_MANIFEST: $(cat "$q/_MANIFEST")"
	done
	# without --rejects the first bad record stops the run the same way
	for t in 1 2; do
		DH_THREADS=$t capture dh-partition -s bad$t --by dt=ts:hour t m.jsonl
		assert_status 3
		echo "$err" >err$t
	done
	cmp err1 err2 || fail "errors differ: $(cat err1 err2)"
	grep -q '^dh-partition: m.jsonl:6001: ' err2 || fail "$(cat err2)"
	[ -z "$(find bad2 -name _SUCCESS)" ] || fail "a partition was published"
}
