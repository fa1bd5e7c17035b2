#!/usr/bin/env bats
# dh-ls: the catalog of a state directory (tables, partitions, status,
# inputs, downstream), read from its files.

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

# the -l line of a partition, from its manifest: status, records, bytes,
# created, path, and (why) when given
long_line() {
	local m=st/$2/_MANIFEST
	printf '%-10s %12s %14s %-20s %s' "$1" "$(jq .records "$m")" "$(jq .bytes "$m")" \
		"$(jq -r .created "$m")" "$2"
	[ -z "${3:-}" ] || printf '  (%s)' "$3"
	printf '\n'
}

@test "--help, --version and bad usage" {
	capture dh-ls --help
	assert_status 0
	[[ $out == "Usage: dh-ls [-s DIR] [-l] [--json] "* ]] || fail "$out"
	[[ $out == *"Exit status:"* ]] || fail "$out"
	capture dh-ls --version
	assert_status 0
	[[ $out == "dh-ls (dh) "* ]] || fail "$out"
	capture dh-ls --bogus
	assert_status 2
	assert_err $'dh-ls: unrecognized option \'--bogus\'\nTry \'dh-ls --help\' for more information.'
	assert_out_empty
	mkdir st
	capture dh-ls -s st --inputs
	assert_status 2
	assert_err $'dh-ls: --inputs needs a TABLE/PARTITION\nTry \'dh-ls --help\' for more information.'
	capture dh-ls -s st --downstream
	assert_status 2
	assert_err $'dh-ls: --downstream needs a TABLE/PARTITION\nTry \'dh-ls --help\' for more information.'
	capture dh-ls -s st --inputs --downstream t
	assert_status 2
	assert_err $'dh-ls: --inputs and --downstream exclude each other\nTry \'dh-ls --help\' for more information.'
	capture dh-ls -s
	assert_status 2
	assert_err $'dh-ls: option requires an argument -- \'s\'\nTry \'dh-ls --help\' for more information.'
}

@test "tables, one a line in byte order; an empty state lists nothing; DH_STATE and ./state" {
	mkdir st
	capture dh-ls -s st
	assert_status 0
	assert_out_empty
	assert_err_empty
	hub
	capture dh-ls -s st
	assert_status 0
	assert_out $'clean/clicks\ndaily/n\nraw/clicks'
	assert_err_empty
	capture env DH_STATE=st dh-ls
	assert_status 0
	assert_out $'clean/clicks\ndaily/n\nraw/clicks'
	mv st state
	capture env -u DH_STATE dh-ls
	assert_status 0
	assert_out $'clean/clicks\ndaily/n\nraw/clicks'
	# names starting with _ or . and stray directories are not tables
	mkdir -p state/_tmp/x=1 state/.hidden/y=2 state/notes state/clean/clicks/dt=2026-11-20/scratch
	capture env -u DH_STATE dh-ls
	assert_out $'clean/clicks\ndaily/n\nraw/clicks'
	capture env -u DH_STATE dh-ls clean/clicks
	assert_out $'clean/clicks/dt=2026-11-20\nclean/clicks/dt=2026-11-21\nclean/clicks/dt=2026-11-22'
}

@test "partitions of tables, partitions and prefixes, each once, in path order" {
	hub
	capture dh-ls -s st daily/n
	assert_status 0
	assert_out $'daily/n/dt=2026-11-20\ndaily/n/dt=2026-11-21\ndaily/n/dt=2026-11-22'
	capture dh-ls -s st raw/clicks/ingest_date=2026-11-21 daily/n/dt=2026-11-20 raw/clicks/ingest_date=2026-11-21
	assert_status 0
	assert_out $'daily/n/dt=2026-11-20\nraw/clicks/ingest_date=2026-11-21'
	# two keys: a prefix selects the partitions below it, never dt=2026-11-2 of dt=2026-11-20
	printf '{"d":"2026-11-20","h":"01"}\n{"d":"2026-11-20","h":"02"}\n{"d":"2026-11-21","h":"01"}\n' >h.jsonl
	dh-partition -s st --by dt=d --by h hr/t h.jsonl >/dev/null
	capture dh-ls -s st hr/t/dt=2026-11-20
	assert_status 0
	assert_out $'hr/t/dt=2026-11-20/h=01\nhr/t/dt=2026-11-20/h=02'
	capture dh-ls -s st hr/t/dt=2026-11-2
	assert_status 2
	assert_err "dh-ls: no table or partition 'hr/t/dt=2026-11-2' in st"
	capture dh-ls -s st hr/t
	assert_out $'hr/t/dt=2026-11-20/h=01\nhr/t/dt=2026-11-20/h=02\nhr/t/dt=2026-11-21/h=01'
}

@test "-l: a line per partition (status, records, bytes, created, path); table counts" {
	hub
	rm st/clean/clicks/dt=2026-11-22/_SUCCESS
	capture dh-ls -s st -l clean/clicks
	assert_status 0
	assert_out "$(long_line ok clean/clicks/dt=2026-11-20; long_line ok clean/clicks/dt=2026-11-21
		long_line incomplete clean/clicks/dt=2026-11-22)"
	capture dh-ls -s st -l
	assert_status 0
	rb=$(cat src/*.jsonl | wc -c)
	db=$(cat st/daily/n/dt=*/part-* | wc -c)
	assert_out "     3 partitions: 2 ok, 1 incomplete, 0 stale, 0 damaged; 9 records, $rb bytes  clean/clicks
     3 partitions: 3 ok, 0 incomplete, 0 stale, 0 damaged; 6 records, $db bytes  daily/n
     3 partitions: 3 ok, 0 incomplete, 0 stale, 0 damaged; 9 records, $rb bytes  raw/clicks"
	# without a manifest: 0 records, 0 bytes, created -
	rm st/clean/clicks/dt=2026-11-22/_MANIFEST
	capture dh-ls -s st -l clean/clicks/dt=2026-11-22
	assert_out "$(printf '%-10s %12s %14s %-20s %s' incomplete 0 0 - clean/clicks/dt=2026-11-22)"
}

@test "--json: a JSON object a line, for tables, partitions and inputs" {
	hub
	echo '# v2' >>t.sh
	capture dh-ls -s st --json
	assert_status 0
	[ "$(jq -c . "$DH_OUT" | head -n 1)" = \
	  "{\"table\":\"clean/clicks\",\"partitions\":3,\"ok\":0,\"incomplete\":0,\"stale\":3,\"damaged\":0,\"records\":9,\"bytes\":$(cat src/*.jsonl | wc -c)}" ] ||
		fail "$(cat "$DH_OUT")"
	[ "$(jq -s 'length' "$DH_OUT")" -eq 3 ] || fail "$(cat "$DH_OUT")"
	capture dh-ls -s st --json -l clean/clicks/dt=2026-11-20 daily/n/dt=2026-11-21
	assert_status 0
	m=st/clean/clicks/dt=2026-11-20/_MANIFEST
	printf '%s\n' "{\"partition\":\"clean/clicks/dt=2026-11-20\",\"table\":\"clean/clicks\",\"status\":\"stale\",\"records\":3,\"bytes\":$(jq .bytes $m),\"files\":1,\"created\":\"$(jq -r .created $m)\",\"why\":\"input $(realpath t.sh) changed\"}" \
		"{\"partition\":\"daily/n/dt=2026-11-21\",\"table\":\"daily/n\",\"status\":\"ok\",\"records\":2,\"bytes\":$(jq .bytes st/daily/n/dt=2026-11-21/_MANIFEST),\"files\":1,\"created\":\"$(jq -r .created st/daily/n/dt=2026-11-21/_MANIFEST)\",\"why\":null}" >want
	json_eq want "$DH_OUT"
	# every line parses alone, and compact
	while IFS= read -r l; do
		[ "$(jq -c . <<<"$l")" = "$l" ] || fail "not compact JSON: $l"
	done <"$DH_OUT"
	capture dh-ls -s st --json --inputs clean/clicks/dt=2026-11-21
	assert_status 0
	printf '%s\n' "{\"partition\":\"clean/clicks/dt=2026-11-21\",\"input\":\"$(realpath t.sh)\",\"kind\":\"file\",\"state\":\"changed\",\"xxh128\":\"$(jq -r '.inputs[0].xxh128' st/clean/clicks/dt=2026-11-21/_MANIFEST)\"}" \
		"{\"partition\":\"clean/clicks/dt=2026-11-21\",\"input\":\"raw/clicks/ingest_date=2026-11-21\",\"kind\":\"partition\",\"state\":\"ok\",\"xxh128\":\"$(xxhsum -H2 st/raw/clicks/ingest_date=2026-11-21/_MANIFEST | cut -d' ' -f1)\"}" >want
	json_eq want "$DH_OUT"
	[ "$(jq -r 'select(.status != "ok") | .partition' < <(dh-ls -s st --json clean/clicks daily/n))" = \
	  $'clean/clicks/dt=2026-11-20\nclean/clicks/dt=2026-11-21\nclean/clicks/dt=2026-11-22' ] || fail "jq select"
}

@test "--stale: an edited --from script makes its outputs stale, not what was made from them" {
	hub
	capture dh-ls -s st --stale
	assert_status 0
	assert_out_empty
	echo '# v2' >>t.sh
	capture dh-ls -s st --stale
	assert_status 0
	assert_out $'clean/clicks/dt=2026-11-20\nclean/clicks/dt=2026-11-21\nclean/clicks/dt=2026-11-22'
	capture dh-ls -s st -l --stale clean/clicks/dt=2026-11-21 raw/clicks
	assert_out "$(long_line stale clean/clicks/dt=2026-11-21 "input $(realpath t.sh) changed")"
	# staleness is not transitive: daily/n lists an unchanged clean manifest
	capture dh-ls -s st -l daily/n/dt=2026-11-21
	assert_out "$(long_line ok daily/n/dt=2026-11-21)"
	# the script back as it was: ok again; gone: stale
	printf 'cat\n' >t.sh
	capture dh-ls -s st --stale
	assert_out_empty
	rm t.sh
	capture dh-ls -s st -l --stale clean/clicks/dt=2026-11-20
	assert_out "$(long_line stale clean/clicks/dt=2026-11-20 "input $PWD/t.sh gone")"
	# a rebuilt input partition (new manifest) makes its downstream stale
	printf 'cat\n' >t.sh
	echo '{"id":4,"b":"z"}' >>src/21.jsonl
	dh-partition -s st -p ingest_date=2026-11-21 raw/clicks src/21.jsonl >/dev/null
	capture dh-ls -s st --stale
	assert_out 'clean/clicks/dt=2026-11-21'
	capture dh-ls -s st -l --stale
	assert_out "$(long_line stale clean/clicks/dt=2026-11-21 "input raw/clicks/ingest_date=2026-11-21 changed")"
}

@test "--incomplete: partitions without _SUCCESS; with --stale, either" {
	hub
	rm st/daily/n/dt=2026-11-21/_SUCCESS st/raw/clicks/ingest_date=2026-11-20/_SUCCESS
	capture dh-ls -s st --incomplete
	assert_status 0
	assert_out $'daily/n/dt=2026-11-21\nraw/clicks/ingest_date=2026-11-20'
	capture dh-ls -s st --incomplete daily/n
	assert_out 'daily/n/dt=2026-11-21'
	echo '# v2' >>t.sh
	capture dh-ls -s st --incomplete --stale
	assert_out $'clean/clicks/dt=2026-11-20\nclean/clicks/dt=2026-11-21\nclean/clicks/dt=2026-11-22\ndaily/n/dt=2026-11-21\nraw/clicks/ingest_date=2026-11-20'
	# a damaged partition is in neither list
	rm st/raw/clicks/ingest_date=2026-11-22/part-00000.jsonl
	capture dh-ls -s st --incomplete raw/clicks
	assert_out 'raw/clicks/ingest_date=2026-11-20'
}

@test "--inputs: each recorded input, ok, changed or gone" {
	hub
	capture dh-ls -s st --inputs clean/clicks/dt=2026-11-20
	assert_status 0
	assert_out "$(realpath t.sh)
raw/clicks/ingest_date=2026-11-20"
	capture dh-ls -s st -l --inputs clean/clicks/dt=2026-11-20
	assert_out "ok       file      $(realpath t.sh)
ok       partition raw/clicks/ingest_date=2026-11-20"
	# the script edited, the raw partition rebuilt: both changed
	echo '# v2' >>t.sh
	echo '{"id":4,"b":"z"}' >>src/20.jsonl
	dh-partition -s st -p ingest_date=2026-11-20 raw/clicks src/20.jsonl >/dev/null
	capture dh-ls -s st -l --inputs clean/clicks/dt=2026-11-20
	assert_out "changed  file      $(realpath t.sh)
changed  partition raw/clicks/ingest_date=2026-11-20"
	# both gone
	rm t.sh
	rm -r st/raw/clicks/ingest_date=2026-11-20
	capture dh-ls -s st -l --inputs clean/clicks/dt=2026-11-20
	assert_out "gone     file      $PWD/t.sh
gone     partition raw/clicks/ingest_date=2026-11-20"
	capture dh-ls -s st -l clean/clicks/dt=2026-11-20
	[[ $out == "stale "*"(input "*" gone)" ]] || fail "$out"
	# a raw partition records no inputs
	capture dh-ls -s st --inputs raw/clicks/ingest_date=2026-11-21
	assert_status 0
	assert_out_empty
}

@test "--downstream: transitively, through three layers, from a partition or a table" {
	hub
	# a fourth layer from all three days
	cat st/daily/n/dt=*/part-* | dh-partition -s st -p k=all --from st/daily/n/dt=2026-11-20 \
		--from st/daily/n/dt=2026-11-21 --from st/daily/n/dt=2026-11-22 total/n >/dev/null
	capture dh-ls -s st --downstream raw/clicks/ingest_date=2026-11-21
	assert_status 0
	assert_out $'clean/clicks/dt=2026-11-21\ndaily/n/dt=2026-11-21\ntotal/n/k=all'
	capture dh-ls -s st --downstream daily/n/dt=2026-11-22
	assert_out 'total/n/k=all'
	capture dh-ls -s st --downstream raw/clicks
	assert_out $'clean/clicks/dt=2026-11-20\nclean/clicks/dt=2026-11-21\nclean/clicks/dt=2026-11-22\ndaily/n/dt=2026-11-20\ndaily/n/dt=2026-11-21\ndaily/n/dt=2026-11-22\ntotal/n/k=all'
	capture dh-ls -s st --downstream total/n
	assert_status 0
	assert_out_empty
	# -l and the filters apply to the downstream list
	rm st/daily/n/dt=2026-11-21/_SUCCESS
	capture dh-ls -s st --downstream --incomplete raw/clicks/ingest_date=2026-11-21
	assert_out 'daily/n/dt=2026-11-21'
	capture dh-ls -s st -l --downstream clean/clicks/dt=2026-11-20
	assert_out "$(long_line ok daily/n/dt=2026-11-20; long_line ok total/n/k=all)"
}

@test "an unknown table or partition is exit 2; a missing state directory is exit 4" {
	hub
	capture dh-ls -s st clean/clikcs
	assert_status 2
	assert_err "dh-ls: no table or partition 'clean/clikcs' in st"
	assert_out_empty
	capture dh-ls -s st clean/clicks/dt=2026-12-01
	assert_status 2
	assert_err "dh-ls: no table or partition 'clean/clicks/dt=2026-12-01' in st"
	# a directory of tables is not a table
	capture dh-ls -s st raw
	assert_status 2
	assert_err "dh-ls: no table or partition 'raw' in st"
	# a good operand does not excuse a bad one: nothing is listed
	capture dh-ls -s st raw/clicks nope
	assert_status 2
	assert_out_empty
	capture dh-ls -s nowhere
	assert_status 4
	assert_err 'dh-ls: nowhere: No such file or directory'
	capture env DH_STATE=nowhere dh-ls -l
	assert_status 4
	assert_err 'dh-ls: nowhere: No such file or directory'
	: >afile
	capture dh-ls -s afile
	assert_status 4
	assert_err 'dh-ls: afile: Not a directory'
}

@test "tampered partitions: same-size byte flip is ok (no hashing); missing or resized file, bad manifest: damaged" {
	hub
	# a flipped byte keeps the size: dh-ls stats, it does not hash (dh-check's job)
	f=st/raw/clicks/ingest_date=2026-11-20/part-00000.jsonl
	printf 'X' | dd of=$f bs=1 seek=3 conv=notrunc 2>/dev/null
	[ "$(xxhsum -H2 $f | cut -d' ' -f1)" != "$(jq -r '.files[0].xxh128' st/raw/clicks/ingest_date=2026-11-20/_MANIFEST)" ] ||
		fail "the flip did not change the hash"
	capture dh-ls -s st -l raw/clicks/ingest_date=2026-11-20
	assert_status 0
	assert_out "$(long_line ok raw/clicks/ingest_date=2026-11-20)"
	# a missing data file
	rm st/raw/clicks/ingest_date=2026-11-21/part-00000.jsonl
	# one byte more
	echo >>st/raw/clicks/ingest_date=2026-11-22/part-00000.jsonl
	# a truncated manifest
	m=st/clean/clicks/dt=2026-11-20/_MANIFEST
	head -c 100 $m >m.tmp && mv m.tmp $m
	# _SUCCESS without _MANIFEST
	rm st/clean/clicks/dt=2026-11-21/_MANIFEST
	capture dh-ls -s st -l raw/clicks clean/clicks
	assert_status 0
	sz=$(jq .bytes st/raw/clicks/ingest_date=2026-11-22/_MANIFEST)
	[ "$(sed -n 1p "$DH_OUT")" = "$(printf '%-10s %12s %14s %-20s %s  (%s)' damaged 0 0 - clean/clicks/dt=2026-11-20 "_MANIFEST: line 5: '}' expected near end of file")" ] ||
		fail "truncated manifest: $(cat "$DH_OUT")"
	[ "$(sed -n 2p "$DH_OUT")" = "$(printf '%-10s %12s %14s %-20s %s  (%s)' damaged 0 0 - clean/clicks/dt=2026-11-21 '_SUCCESS without a _MANIFEST')" ] ||
		fail "no manifest: $(cat "$DH_OUT")"
	[ "$(sed -n 3p "$DH_OUT")" = "$(long_line ok clean/clicks/dt=2026-11-22)" ] || fail "$(cat "$DH_OUT")"
	[ "$(sed -n 4p "$DH_OUT")" = "$(long_line ok raw/clicks/ingest_date=2026-11-20)" ] || fail "$(cat "$DH_OUT")"
	[ "$(sed -n 5p "$DH_OUT")" = "$(long_line damaged raw/clicks/ingest_date=2026-11-21 'part-00000.jsonl: missing')" ] ||
		fail "$(cat "$DH_OUT")"
	[ "$(sed -n 6p "$DH_OUT")" = "$(long_line damaged raw/clicks/ingest_date=2026-11-22 "part-00000.jsonl: $((sz + 1)) bytes, the manifest says $sz")" ] ||
		fail "$(cat "$DH_OUT")"
	[ "$(wc -l <"$DH_OUT")" -eq 6 ] || fail "$(cat "$DH_OUT")"
	capture dh-ls -s st -l raw/clicks
	[ "$(dh-ls -s st -l | tail -n 1)" = "     3 partitions: 1 ok, 0 incomplete, 0 stale, 2 damaged; 9 records, $(jq -s 'map(.bytes) | add' st/raw/clicks/*/_MANIFEST) bytes  raw/clicks" ] ||
		fail "$(dh-ls -s st -l)"
	# damaged is not stale: the inputs of a damaged partition are not looked at
	echo '# v2' >>t.sh
	capture dh-ls -s st --stale clean/clicks
	assert_out 'clean/clicks/dt=2026-11-22'
	# without _SUCCESS a missing file is only incomplete
	rm st/raw/clicks/ingest_date=2026-11-21/_SUCCESS
	capture dh-ls -s st -l raw/clicks/ingest_date=2026-11-21
	assert_out "$(long_line incomplete raw/clicks/ingest_date=2026-11-21)"
}

@test "symbolic links inside the state are never followed" {
	hub
	mkdir -p outside/k=z outside/tbl/k=y
	cp st/daily/n/dt=2026-11-20/* outside/k=z/
	cp st/daily/n/dt=2026-11-20/* outside/tbl/k=y/
	ln -s "$PWD/outside/k=z" st/daily/n/dt=2026-12-01
	ln -s "$PWD/outside/tbl" st/linked
	capture dh-ls -s st
	assert_out $'clean/clicks\ndaily/n\nraw/clicks'
	capture dh-ls -s st daily/n
	assert_out $'daily/n/dt=2026-11-20\ndaily/n/dt=2026-11-21\ndaily/n/dt=2026-11-22'
	capture dh-ls -s st daily/n/dt=2026-12-01
	assert_status 2
	assert_err "dh-ls: no table or partition 'daily/n/dt=2026-12-01' in st"
	# a linked _MANIFEST is named as such, a linked data file reads as
	# missing: damaged either way
	p=st/daily/n/dt=2026-11-21
	mv $p/_MANIFEST outside/m && ln -s "$PWD/outside/m" $p/_MANIFEST
	q=st/daily/n/dt=2026-11-22
	mv $q/part-00000.jsonl outside/d && ln -s "$PWD/outside/d" $q/part-00000.jsonl
	capture dh-ls -s st -l daily/n
	assert_status 0
	[ "$(sed -n 2p "$DH_OUT")" = "$(printf '%-10s %12s %14s %-20s %s  (%s)' damaged 0 0 - daily/n/dt=2026-11-21 '_MANIFEST is a symbolic link (never followed)')" ] ||
		fail "$(cat "$DH_OUT")"
	[ "$(sed -n 3p "$DH_OUT")" = "$(long_line damaged daily/n/dt=2026-11-22 'part-00000.jsonl: missing')" ] ||
		fail "$(cat "$DH_OUT")"
	# the state directory itself may be a link
	ln -s st st-link
	capture dh-ls -s st-link
	assert_out $'clean/clicks\ndaily/n\nraw/clicks'
}

@test "--json: a directory name that is not UTF-8 is shown as U+FFFD, never dropped" {
	mkdir -p st
	dh-partition -s st -p k=v t /dev/null >/dev/null
	mkdir "st/t/k=$(printf '\377')"
	capture dh-ls -s st --json t
	assert_status 0
	jq -e . "$DH_OUT" >/dev/null || fail "not JSON: $(cat -v "$DH_OUT")"
	[ "$(jq -r 'select(.status == "incomplete") | .partition' "$DH_OUT")" = "t/k=$(printf '\357\277\275')" ] ||
		fail "$(cat -v "$DH_OUT")"
}

@test "> /dev/full is exit 4; | head -1 is quiet" {
	hub
	capture sh -c 'exec dh-ls -s st >/dev/full'
	assert_status 4
	assert_err 'dh-ls: write error: stdout: No space left on device'
	capture sh -c 'exec dh-ls -s st --json -l clean/clicks >/dev/full'
	assert_status 4
	assert_err 'dh-ls: write error: stdout: No space left on device'
	# more than a pipe holds: 1,200 partitions, a long line each
	awk 'BEGIN { for (i = 0; i < 1200; i++) printf "{\"u\":\"user-with-a-long-name-%05d\"}\n", i }' >u.jsonl
	dh-partition -s st --by u many/t u.jsonl >/dev/null
	[ "$(dh-ls -s st -l many/t | wc -c)" -gt 100000 ] || fail "not enough output"
	line=$(dh-ls -s st -l many/t 2>err | head -n 1; echo "rc=${PIPESTATUS[0]}")
	[[ $line == "ok "*" many/t/u=user-with-a-long-name-00000"$'\n'rc=141 ||
		$line == "ok "*" many/t/u=user-with-a-long-name-00000"$'\n'rc=0 ]] || fail "$line"
	[ ! -s err ] || fail "stderr: $(cat err)"
}

@test "a directory that cannot be read is an I/O error (exit 4), never a missing or damaged partition" {
	# the sanitizers' runtime needs descriptors of its own
	skip_if_sanitized dh-ls
	hub
	capture bash -c 'ulimit -n 6 && exec dh-ls -s st raw/clicks'
	[ "$status" -eq 4 ] || assert_out $'raw/clicks/ingest_date=2026-11-20\nraw/clicks/ingest_date=2026-11-21\nraw/clicks/ingest_date=2026-11-22'
	capture bash -c 'ulimit -n 7 && exec dh-ls -s st -l raw/clicks'
	[ "$status" -eq 4 ] || ! grep -q damaged "$DH_OUT" || fail "EMFILE read as damaged: $(cat "$DH_OUT")"
}
