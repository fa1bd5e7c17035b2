#!/usr/bin/env bats
# dh-ingest: raw data landed write-once, validated, idempotently.

load helper

setup() {
	dh_setup
	ROOT=$BATS_TEST_DIRNAME/..
	GEN=$ROOT/${BUILD:-build}/tools/gen
	TODAY=$(date -u +%Y-%m-%d)
}

@test "--help, --version and bad usage" {
	capture dh-ingest --help
	assert_status 0
	[[ $out == "Usage: dh-ingest "* ]] || fail "$out"
	capture dh-ingest --version
	assert_status 0
	[[ $out == "dh-ingest (dh) "* ]] || fail "$out"
	capture dh-ingest --bogus
	assert_status 2
	assert_err $'dh-ingest: unrecognized option \'--bogus\'\nTry \'dh-ingest --help\' for more information.'
	capture dh-ingest -s st raw
	assert_status 2
	assert_err $'dh-ingest: no SOURCE given\nTry \'dh-ingest --help\' for more information.'
	capture dh-ingest -s st ../x a
	assert_status 2
}

@test "files land as received in ingest_date=today, with their sources in the manifest" {
	"$GEN" -n 800 -f jsonl -s 1 >a.jsonl
	gzip -k a.jsonl
	"$GEN" -n 300 -f jsonl -s 2 >b.jsonl
	capture dh-ingest -s st raw/clicks a.jsonl.gz b.jsonl
	assert_status 0
	assert_out "st/raw/clicks/ingest_date=$TODAY"
	p=st/raw/clicks/ingest_date=$TODAY
	cmp -s a.jsonl.gz "$p/part-00000.jsonl.gz" || fail "gzip source not stored as received"
	cmp -s b.jsonl "$p/part-00001.jsonl" || fail "plain source not stored as received"
	state_ok st || fail state
	no_temp st
	[ "$(jq -c '[.records, [.files[].records], [.files[].source.name]]' "$p/_MANIFEST")" = \
	  "[1100,[800,300],[\"$PWD/a.jsonl.gz\",\"$PWD/b.jsonl\"]]" ] || fail "$(cat "$p/_MANIFEST")"
	[ "$(jq -r '.files[0].source.xxh128' "$p/_MANIFEST")" = "$(xxhsum -H2 a.jsonl.gz | cut -d' ' -f1)" ] ||
		fail "source hash"
	[ "$(jq -c '[.format, .partition_keys]' st/raw/clicks/_TABLE)" = '["jsonl",["ingest_date"]]' ] || fail "_TABLE"
	grep -q '"event":"ingest"' st/_log.jsonl || fail "journal"
	# the partition reads back as the records of both sources
	capture dh-convert "$p"
	assert_status 0
	cat a.jsonl b.jsonl | cmp -s - "$DH_OUT" || fail "read back"
}

@test "a source landed before is skipped, and --force lands it again; nothing is rewritten" {
	"$GEN" -n 200 -f jsonl -s 3 >a.jsonl
	dh-ingest -s st raw a.jsonl >/dev/null
	p=st/raw/ingest_date=$TODAY
	h=$(xxhsum -H2 "$p/part-00000.jsonl")
	capture dh-ingest -s st raw a.jsonl
	assert_status 0
	assert_out ''
	assert_err 'dh-ingest: a.jsonl: already ingested (same name, size and xxh128); skipped (use --force to ingest it again)'
	[ "$(jq '.files | length' "$p/_MANIFEST")" -eq 1 ] || fail "landed twice"
	# the same name with other content is new
	"$GEN" -n 10 -f jsonl -s 4 >>a.jsonl
	capture dh-ingest -s st raw a.jsonl
	assert_status 0
	assert_out "$p"
	capture dh-ingest -s st --force raw a.jsonl
	assert_status 0
	[ "$(jq -r '[.files[].name] | join(" ")' "$p/_MANIFEST")" = "part-00000.jsonl part-00001.jsonl part-00002.jsonl" ] ||
		fail "$(cat "$p/_MANIFEST")"
	[ "$(xxhsum -H2 "$p/part-00000.jsonl")" = "$h" ] || fail "a file was rewritten"
	state_ok st
}

@test "standard input, -p, -z for plain input, directories in name order" {
	"$GEN" -n 100 -f csv -s 5 >x.csv
	capture dh-ingest -s st -p day=2026-11-20 -z zstd raw/csv - <x.csv
	assert_status 0
	assert_out 'st/raw/csv/day=2026-11-20'
	zstd -dc st/raw/csv/day=2026-11-20/part-00000.csv.zst | cmp -s - x.csv || fail "zstd copy"
	[ "$(jq -r '.files[0].source.name' st/raw/csv/day=2026-11-20/_MANIFEST)" = "-" ] || fail "stdin name"
	mkdir -p in/sub in/.hidden
	printf '{"n":1}\n' >in/b.jsonl
	printf '{"n":2}\n' >in/a.jsonl
	printf '{"n":3}\n' >in/sub/c.jsonl
	printf '{"n":4}\n' >in/.hidden/d.jsonl
	printf '{"n":5}\n' >in/_skip.jsonl
	capture dh-ingest -s st -p day=1 raw/dir in
	assert_status 0
	[ "$(jq -r '[.files[].source.name | sub(".*/in/"; "")] | join(" ")' st/raw/dir/day=1/_MANIFEST)" = "a.jsonl b.jsonl sub/c.jsonl" ] ||
		fail "$(cat st/raw/dir/day=1/_MANIFEST)"
	# the table's format holds for later sources
	capture dh-ingest -s st -p day=1 -f csv raw/dir x.csv
	assert_status 2
}

@test "a bad record lands nothing; with --rejects the good records land as received" {
	printf '{"a":1}\n{"a":\n{"a":3}\n' >bad.jsonl
	capture dh-ingest -s st -p d=1 raw bad.jsonl
	assert_status 3
	assert_err "dh-ingest: bad.jsonl:2: invalid JSON at column 5: unexpected token near end of file"
	[ -z "$(find st -name _SUCCESS)" ] || fail "published after a bad record"
	no_temp st
	capture dh-ingest -s st -p d=1 --rejects rej.jsonl raw bad.jsonl
	assert_status 0
	[ "$(cat st/raw/d=1/part-00000.jsonl)" = $'{"a":1}\n{"a":3}' ] || fail "$(cat st/raw/d=1/part-00000.jsonl)"
	[ "$(jq -c '[.line, .record]' rej.jsonl)" = '[2,"{\"a\":"]' ] || fail "$(cat rej.jsonl)"
	[ "$(jq .records st/raw/d=1/_MANIFEST)" -eq 2 ] || fail records
	state_ok st
}

@test "a second writer exits 5; a full disk is exit 4 with nothing landed" {
	printf '{"a":1}\n' >one.jsonl
	dh-ingest -s st -p d=1 t one.jsonl >/dev/null
	flock st/t/_LOCK sleep 2 &
	sleep 0.5
	printf '{"a":2}\n' >two.jsonl
	capture dh-ingest -s st -p d=1 t two.jsonl
	assert_status 5
	wait
	mkdir small
	mount -t tmpfs -o size=256k tmpfs small 2>/dev/null || skip "cannot mount a small tmpfs here (not root)"
	dh-ingest -s small -p d=1 t one.jsonl >/dev/null
	"$GEN" -n 3000 -f jsonl >big.jsonl
	capture dh-ingest -s small -p d=1 t big.jsonl
	assert_status 4
	no_temp small
	state_ok small
	[ "$(jq '.files | length' small/t/d=1/_MANIFEST)" -eq 1 ] || fail "landed on a full disk"
	umount small
}

@test "a source twice in one run lands once; a skipped run leaves no partition; a crash before _SUCCESS is repaired" {
	printf '{"a":1}\n' >one.jsonl
	capture dh-ingest -s st -p d=1 t one.jsonl one.jsonl
	assert_status 0
	assert_err 'dh-ingest: one.jsonl: already ingested (same name, size and xxh128); skipped (use --force to ingest it again)'
	[ "$(jq '.files | length' st/t/d=1/_MANIFEST)" -eq 1 ] || fail "landed twice"
	capture dh-ingest -s st t - - </dev/null
	assert_status 2
	capture dh-ingest -s st -p d=2 t one.jsonl
	assert_status 0
	[ ! -e st/t/d=2 ] || fail "a partition directory was left for nothing"
	# a crash between _MANIFEST and _SUCCESS: the next run finishes it
	rm st/t/d=1/_SUCCESS
	capture dh-ingest -s st -p d=1 t one.jsonl
	assert_status 0
	[[ $err == *"st/t/d=1: had no _SUCCESS (a publish left unfinished, or dh-invalidate) and its files match its manifest: published again" ]] ||
		fail "$err"
	assert_out "st/t/d=1"
	[ -e st/t/d=1/_SUCCESS ] || fail "not repaired"
	state_ok st
}

@test "--rejects on a JSON array lands an array; compression says the codec, or mixed" {
	printf '[{"a":1},{"a":2,"a":3},{"a":4}]\n' >arr.json
	capture dh-ingest -s st -p d=1 --rejects r.jsonl j arr.json
	assert_status 0
	capture dh-convert -t jsonl st/j/d=1
	assert_status 0
	assert_out $'{"a":1}\n{"a":4}'
	printf '{"a":1}\n' >p.jsonl
	dh-ingest -s st -p d=1 -z zstd z p.jsonl >/dev/null
	[ "$(jq -r .compression st/z/d=1/_MANIFEST)" = zstd ] || fail "zstd"
	printf '{"a":2}\n' | gzip >q.jsonl.gz
	dh-ingest -s st -p d=1 z q.jsonl.gz >/dev/null
	[ "$(jq -r .compression st/z/d=1/_MANIFEST)" = mixed ] || fail "mixed"
	capture dh-convert st/z/d=1
	assert_out $'{"a":1}\n{"a":2}'
}

@test "archives: every plain file of a tar or zip lands; links, absolute and .. names are refused" {
	mkdir -p in/sub
	printf '{"a":1}\n' >in/x.jsonl
	printf '{"a":2}\n' >in/sub/y.jsonl
	tar czf good.tar.gz in
	capture dh-ingest -s st -p d=1 t good.tar.gz
	assert_status 0
	[ "$(jq -c '[.files[] | [.source.name, .records]]' st/t/d=1/_MANIFEST)" = \
	  "[[\"$PWD/good.tar.gz!in/x.jsonl\",1],[\"$PWD/good.tar.gz!in/sub/y.jsonl\",1]]" ] ||
		fail "$(cat st/t/d=1/_MANIFEST)"
	capture dh-ingest -s st -p d=1 t good.tar.gz
	assert_status 0
	assert_out ''
	if command -v zip >/dev/null; then
		(cd in && zip -q ../good.zip x.jsonl sub/y.jsonl)
		capture dh-ingest -s st -p d=2 t good.zip
		assert_status 0
		capture dh-convert st/t/d=2
		assert_out $'{"a":1}\n{"a":2}'
	fi
	ln -s /etc/passwd in/link
	tar cf link.tar in/link
	ln in/x.jsonl in/hard.jsonl
	tar cf hard.tar in/x.jsonl in/hard.jsonl
	tar cf dotdot.tar --transform 's|in/x.jsonl|../escape.jsonl|' in/x.jsonl
	tar cPf abs.tar "$PWD/in/x.jsonl"
	for t in link hard dotdot abs; do
		capture dh-ingest -s st -p d=3 t $t.tar
		assert_status 3
		[[ $err == "dh-ingest: $t.tar: entry "*" refused: "*" (an archive may hold only plain files with relative names)" ]] ||
			fail "$t: $err"
	done
	[ ! -e st/t/d=3 ] || fail "something landed from a refused archive"
	no_temp st
	[ ! -e ../escape.jsonl ] && [ ! -e escape.jsonl ] || fail "written outside"
}

# A cron job running dh-ingest --follow on a growing log loses nothing and
# duplicates nothing: lines are written in two pieces, so runs often see
# half a line, which must wait for the next run.
@test "--follow on a growing log: every line once, partial lines wait" {
	: >log.jsonl
	(
		for i in $(seq 1 1500); do
			printf '{"n":%d,' "$i" >>log.jsonl
			printf '"x":"y"}\n' >>log.jsonl
		done
	) &
	writer=$!
	while kill -0 "$writer" 2>/dev/null; do
		dh-ingest -s st --follow -p d=1 t log.jsonl >/dev/null
	done
	wait "$writer"
	dh-ingest -s st --follow -p d=1 t log.jsonl >/dev/null || true
	capture dh-convert st/t/d=1
	assert_status 0
	cmp -s log.jsonl "$DH_OUT" || fail "landed $(wc -l <"$DH_OUT") lines of 1500, or in another order"
	[ "$(jq '.files | length' st/t/d=1/_MANIFEST)" -gt 1 ] || fail "it should have taken several pieces"
	state_ok st
}

@test "--follow: rotation to PATH.1 and truncation lose nothing; compressed files and stdin are refused" {
	printf '{"n":1}\n{"n":' >log.jsonl
	dh-ingest -s st --follow -p d=1 t log.jsonl >/dev/null
	printf '2}\n' >>log.jsonl
	mv log.jsonl log.jsonl.1
	printf '{"n":3}\n' >>log.jsonl.1
	printf '{"n":4}\n' >log.jsonl
	capture dh-ingest -s st --follow -p d=1 t log.jsonl
	assert_status 0
	assert_err 'dh-ingest: log.jsonl: rotated to log.jsonl.1; took its last lines, then the new file from the start'
	truncate -s 0 log.jsonl
	printf '{"n":5}\n' >log.jsonl
	dh-ingest -s st --follow -p d=1 t log.jsonl >/dev/null 2>&1
	capture dh-convert st/t/d=1
	assert_out $'{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}'
	gzip -k log.jsonl
	capture dh-ingest -s st --follow -p d=1 t log.jsonl.gz
	assert_status 2
	capture dh-ingest -s st --follow -p d=1 t - </dev/null
	assert_status 2
}

# kill -9 at random moments (scripts/crash-test; its long run is
# `make crash-test`): every _SUCCESS matches its files, and a rerun lands
# each source once, byte for byte as an uninterrupted run.
@test "kill -9 at 50 random moments: every source lands once, as an uninterrupted run lands it" {
	capture env DH_BUILD="$ROOT/${BUILD:-build}" "$ROOT/scripts/crash-test" 50 ingest
	assert_status 0
	assert_out_match '^crash-test: 50 kills of dh-ingest, every source landed once \([0-9]+ mid-run\)$'
}

@test "kill -9 of --follow at 50 random moments on a growing log: every line lands once, in order" {
	capture env DH_BUILD="$ROOT/${BUILD:-build}" "$ROOT/scripts/crash-test" 50 follow
	assert_status 0
	assert_out_match '^crash-test: 50 kills of dh-ingest --follow, every line landed once \([0-9]+ mid-run\)$'
}

@test "a killed run's leftover data file is removed and takes no number from the next" {
	mkdir -p st/t/d=1
	printf '{"left":1}\n' >st/t/d=1/part-00000.jsonl
	printf '{"a":1}\n' >one.jsonl
	capture dh-ingest -s st -p d=1 t one.jsonl
	assert_status 0
	[ "$(jq -r '.files[].name' st/t/d=1/_MANIFEST)" = part-00000.jsonl ]
	cmp one.jsonl st/t/d=1/part-00000.jsonl
	state_ok st
}

@test "a big compressed source is validated in parallel chunks (DH_THREADS=2) as in one pass" {
	"$GEN" -n 12000 -f jsonl -s 8 >a.jsonl
	{ head -n 7000 a.jsonl; printf '{"x":1,"x":2}\n[1,\n'; tail -n +7001 a.jsonl; } >m.jsonl
	zstd -q m.jsonl -o m.jsonl.zst
	for t in 1 2; do
		DH_THREADS=$t capture dh-ingest -s st$t -p d=1 --rejects rej$t raw/x m.jsonl.zst
		assert_status 0
		DH_THREADS=$t capture dh-ingest -s bad$t -p d=1 raw/x m.jsonl.zst
		assert_status 3
		echo "$err" >err$t
	done
	cmp rej1 rej2 || fail "the rejects differ: $(diff rej1 rej2 | head -5)"
	[ "$(wc -l <rej2)" -eq 2 ] || fail "rejects: $(cat rej2)"
	cmp err1 err2 || fail "errors differ: $(cat err1 err2)"
	grep -q '^dh-ingest: m.jsonl.zst:7001: ' err2 || fail "$(cat err2)"
	[ "$(jq .records st2/raw/x/d=1/_MANIFEST)" -eq 12000 ] || fail "$(cat st2/raw/x/d=1/_MANIFEST)"
	cmp st1/raw/x/d=1/part-00000.jsonl.zst st2/raw/x/d=1/part-00000.jsonl.zst || fail "data differ"
	[ ! -e bad2/raw/x/d=1/_SUCCESS ] || fail "published a bad source"
}
