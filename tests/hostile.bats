#!/usr/bin/env bats
# Hostile input (dh-state(5), THREAT MODEL): decompression bombs, symbolic
# links and oversized files planted in the state directory, and records far
# larger than any sane one.  Each is a clear message and an exit status,
# never a crash, a write outside the state, or a silently shortened value.
# (BOM, CRLF, NUL, invalid UTF-8 and JSON nested 100,000 deep are in
# dh-convert.bats; manifests naming ../ in dh-check.bats.)

load helper

setup() {
	dh_setup
	ROOT=$BATS_TEST_DIRNAME/..
	GEN=$ROOT/${BUILD:-build}/tools/gen
}

# bomb FILE MB: FILE.gz holds MB MiB of one repeated JSON line
bomb() {
	head -c $(($2 << 20)) /dev/zero | tr '\0' a | fold -w 99 |
		sed 's/.*/{"a":"&"}/' | gzip -9 >"$1"
}

@test "a gzip bomb stops at the ratio limit (exit 3); --max-ratio and --max-inflated move the limits" {
	bomb b.jsonl.gz 64
	[ "$(stat -c %s b.jsonl.gz)" -lt $((1 << 20)) ] || fail "not a bomb: $(stat -c %s b.jsonl.gz) bytes"
	capture dh-convert -t csv b.jsonl.gz
	assert_status 3
	[[ $err == "dh-convert: b.jsonl.gz: gzip: decompresses to more than 100 times its size ("*" read so far): a decompression bomb? (--max-ratio N raises the limit, 0 removes it)" ]] ||
		fail "$err"
	# every record, once the limit is off
	capture dh-convert --max-ratio 0 -t csv b.jsonl.gz
	assert_status 0
	[ "$(wc -l <"$DH_OUT")" -eq $(((64 << 20) / 99 + 1 + 1)) ] || fail "$(wc -l <"$DH_OUT") lines"
	capture dh-convert --max-ratio 2000 -t csv b.jsonl.gz
	assert_status 0
	capture dh-convert --max-ratio 0 --max-inflated 20M -t csv b.jsonl.gz
	assert_status 3
	[[ $err == "dh-convert: b.jsonl.gz: gzip: decompresses to more than 20.0 MiB (--max-inflated SIZE raises the limit, 0 removes it)" ]] ||
		fail "$err"
	# a file that compresses well but not like a bomb passes untouched
	"$GEN" -n 50000 -f jsonl -s 3 >e.jsonl
	gzip -9 <e.jsonl >e.jsonl.gz
	capture dh-convert -t jsonl e.jsonl.gz
	assert_status 0
	cmp -s "$DH_OUT" e.jsonl || fail "a plain gzip'd file changed"
	capture dh-convert --max-ratio x b.jsonl.gz
	assert_status 2
	capture dh-convert --max-inflated 3Q b.jsonl.gz
	assert_status 2
}

@test "a bomb through dh-partition, dh-agg and dh-dedup is exit 3 with nothing published" {
	bomb b.jsonl.gz 32
	capture dh-partition -s st -p k=v t b.jsonl.gz
	assert_status 3
	[[ $err == "dh-partition: b.jsonl.gz: gzip: decompresses to more than 100 times its size"* ]] || fail "$err"
	[ -z "$(find st -name _SUCCESS -o -name '.tmp.*')" ] || fail "$(find st)"
	capture dh-agg -g a -a count b.jsonl.gz
	assert_status 3
	capture dh-dedup -k a b.jsonl.gz
	assert_status 3
	capture dh-check -e 'rows(1,)' b.jsonl.gz
	assert_status 3
}

@test "dh-ingest: a bomb as a source or inside a tar is refused; the partition stays as it was" {
	"$GEN" -n 100 -f jsonl -s 3 >ok.jsonl
	dh-ingest -s st -p d=x raw ok.jsonl >/dev/null
	m=$(cat st/raw/d=x/_MANIFEST)
	bomb b.jsonl.gz 32
	capture dh-ingest -s st -p d=x raw b.jsonl.gz
	assert_status 3
	[[ $err == "dh-ingest: b.jsonl.gz: gzip: decompresses to more than 100 times its size"* ]] || fail "$err"
	mkdir in && gzip -dc b.jsonl.gz >in/big.jsonl
	tar czf b.tgz -C in big.jsonl
	capture dh-ingest -s st -p d=x raw b.tgz
	assert_status 3
	[[ $err == "dh-ingest: b.tgz!big.jsonl: decompresses to more than 100 times its size"* ]] || fail "$err"
	[ "$(cat st/raw/d=x/_MANIFEST)" = "$m" ] || fail "the manifest changed"
	[ -e st/raw/d=x/_SUCCESS ] || fail "_SUCCESS lost"
	[ -z "$(find st -name '.tmp.*')" ] || fail "$(find st -name '.tmp.*')"
	capture dh-check -s st raw/d=x
	assert_status 0
	capture dh-ingest -s st -p d=x --max-ratio 0 raw b.tgz
	assert_status 0
}

@test "a symbolic link in the state is never written through: partition, table, _LOCK" {
	"$GEN" -n 200 -f jsonl -s 6 >e.jsonl
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	mkdir outside
	mv st/t/dt=2026-11-20 outside/p
	ln -s "$PWD/outside/p" st/t/dt=2026-11-20
	before=$(cd outside && find . -type f -exec xxhsum -H2 {} + | sort)
	capture dh-partition -s st --by dt=ts:day t e.jsonl
	assert_status 4
	assert_err "dh-partition: st/t/dt=2026-11-20: a symbolic link in the state directory (dh never writes through one)"
	[ "$(cd outside && find . -type f -exec xxhsum -H2 {} + | sort)" = "$before" ] || fail "outside changed"
	[ -z "$(find st outside -name '.tmp.*')" ] || fail "$(find st outside -name '.tmp.*')"
	# a table directory, or a directory above it, that is a link
	ln -s "$PWD/outside" st/t2
	capture dh-partition -s st --by dt=ts:day t2 e.jsonl
	assert_status 4
	assert_err "dh-partition: st/t2: a symbolic link in the state directory (dh never writes through one)"
	ln -s "$PWD/outside" st/clean
	capture dh-ingest -s st -p d=x clean/raw e.jsonl
	assert_status 4
	assert_err "dh-ingest: st/clean: a symbolic link in the state directory (dh never writes through one)"
	# an ingest partition that is a link
	dh-ingest -s st -p d=x raw e.jsonl >/dev/null
	ln -s "$PWD/outside/p" st/raw/d=y
	capture dh-ingest -s st -p d=y --force raw e.jsonl
	assert_status 4
	assert_err "dh-ingest: st/raw/d=y: a symbolic link in the state directory (dh never writes through one)"
	# the lock file: never created or opened through a link
	rm st/raw/_LOCK
	ln -s "$PWD/outside/lock" st/raw/_LOCK
	capture dh-ingest -s st -p d=x --force raw e.jsonl
	assert_status 4
	[[ $err == "dh-ingest: st/raw/_LOCK: "* ]] || fail "$err"
	[ ! -e outside/lock ] || fail "the lock was created outside"
	[ "$(cd outside && find . -type f -exec xxhsum -H2 {} + | sort)" = "$before" ] || fail "outside changed"
	# the state directory itself may be a link
	ln -s st st-link
	capture dh-partition -s st-link --by dt=ts:day t3 e.jsonl
	assert_status 0
}

@test "an enormous _TABLE or _MANIFEST is refused by size, not read into memory whole" {
	"$GEN" -n 50 -f jsonl -s 6 >e.jsonl
	dh-partition -s st --by dt=ts:day t e.jsonl >/dev/null
	{ printf '{"format":"jsonl","description":"'; head -c 2000000 /dev/zero | tr '\0' x; printf '"}\n'; } >st/t/_TABLE
	capture dh-partition -s st --by dt=ts:day t e.jsonl
	assert_status 3
	assert_err "dh-partition: st/t/_TABLE: more than 1024 KiB, larger than any _TABLE dh writes"
	capture dh-ingest -s st -p dt=x t e.jsonl
	assert_status 3
	# a _MANIFEST past 256 MiB: damaged, named so
	p=st/t/dt=2026-11-21
	truncate -s 300M $p/_MANIFEST
	capture dh-ls -s st -l t
	assert_status 0
	[[ $out == *"damaged"*"t/dt=2026-11-21  (_MANIFEST: more than 256 MiB, larger than any manifest dh writes)"* ]] ||
		fail "$out"
	capture dh-check -s st t/dt=2026-11-21
	assert_status 1
	assert_out "t/dt=2026-11-21: _MANIFEST: more than 256 MiB, larger than any manifest dh writes"
}

@test "a 100 MB CSV field and a 128 MiB JSON line pass through whole" {
	{ printf 'a,b\n1,"'; head -c 100000000 /dev/zero | tr '\0' y; printf '"\n2,z\n'; } >big.csv
	capture dh-convert -t jsonl big.csv
	assert_status 0
	[ "$(wc -l <"$DH_OUT")" -eq 2 ] || fail "lines"
	[ "$(head -1 "$DH_OUT" | wc -c)" -eq $((100000000 + 17)) ] || fail "$(head -1 "$DH_OUT" | wc -c) bytes"
	[ "$(tail -1 "$DH_OUT")" = '{"a":"2","b":"z"}' ] || fail "$(tail -1 "$DH_OUT")"
	# and back, byte for byte (unquoted: nothing in it needs quotes)
	mv "$DH_OUT" big.jsonl
	capture dh-convert -t csv big.jsonl
	cmp -s "$DH_OUT" <(printf 'a,b\n1,'; head -c 100000000 /dev/zero | tr '\0' y; printf '\n2,z\n') ||
		fail "the round trip changed the field"
	{ printf '{"k":"'; head -c $((128 << 20)) /dev/zero | tr '\0' q; printf '","n":1}\n'; } >line.jsonl
	capture dh-agg -g n -a count line.jsonl
	assert_status 0
	assert_out '{"n":1,"count":1}'
	capture dh-check -e 'not_null(k)' -e 'between(n,1,1)' line.jsonl
	assert_status 0
}
