#!/usr/bin/env bats
# dh(7) SCALING OUT, held to what it prints: every command line of its
# examples is taken from man/dh.7 and run as it stands, and its result is
# held against a single process over the same data.  Hadoop Streaming is
# played locally by the shell function hadoop below (input splits mapped
# with xargs -P, map output sorted and combined, partitioned over
# reducers by key, each reducer's input sorted: the data path of
# hadoop-streaming.jar), hdfs dfs -cat by cat, DuckDB through the node
# module that make bench installs.

load helper

setup_file() {
	local root
	root=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	export DH7=$root/man/dh.7
	export GEN=$root/${BUILD:-build}/tools/gen
	case ${BUILD:-build} in /*) GEN=$BUILD/tools/gen ;; esac
	export DUCKDB_MOD=$root/build/bench/node/node_modules/@duckdb/node-api
	export HUB=$BATS_FILE_TMPDIR/hub
	mkdir -p "$HUB/clicks"
	cd "$HUB" || return 1
	"$GEN" -n 6000 -f jsonl -s 5 >all.jsonl
	# raw as it came, clean by event day; and the same records as the
	# input files of a Hadoop job
	dh-partition --by ingest_date=ts:day raw/clicks all.jsonl >/dev/null
	dh-partition --by dt=ts:day clean/clicks all.jsonl >/dev/null
	split -n l/3 -d --additional-suffix=.jsonl all.jsonl clicks/part-
}

setup() {
	cp -a "$HUB" "$BATS_TEST_TMPDIR/hub"
	cd "$BATS_TEST_TMPDIR/hub" || return 1
}

# The commands of the literal block of dh(7) that holds text, one per
# "$ " line with its continuation lines, as a shell script.
doc_block() {
	awk -v want="$1" '
		/^\.Bd -literal/ { inb = 1; blk = ""; next }
		/^\.Ed/ { if (inb && index(blk, want)) { printf "%s", blk; n++ } inb = 0; next }
		inb { blk = blk $0 "\n" }
		END { if (n != 1) { print "doc_block: " n " blocks hold " want > "/dev/stderr"; exit 1 } }' "$DH7" |
		awk '/^\$ / { cont = 1; sub(/^\$ /, ""); print; cont = /\\e$/; next }
			cont { print; cont = /\\e$/ }' |
		sed 's/\\e$/\\/; s/\\e/\\/g'
}

# Hadoop Streaming, locally.  hadoop jar hadoop-streaming.jar -input DIR
# -output DIR [-numReduceTasks N] -mapper CMD [-combiner CMD] -reducer CMD
hadoop() {
	local in= out= reduces=3 mapper= combiner= reducer= f r
	[ "$1 $2" = "jar hadoop-streaming.jar" ] || { echo "hadoop: not a streaming job: $*" >&2; return 2; }
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		-input) in=$2 ;;
		-output) out=$2 ;;
		-numReduceTasks) reduces=$2 ;;
		-mapper) mapper=$2 ;;
		-combiner) combiner=$2 ;;
		-reducer) reducer=$2 ;;
		*) echo "hadoop: unknown option $1" >&2; return 2 ;;
		esac
		shift 2
	done
	[ -n "$in" ] && [ -n "$out" ] && [ -n "$mapper" ] && [ -n "$reducer" ] || return 2
	[ ! -e "$out" ] || { echo "hadoop: $out exists" >&2; return 1; }
	mkdir -p "$out" .job/splits .job/maps .job/shuffle
	# input splits: each input file cut at line ends, two a file
	for f in "$in"/*; do
		split -n l/2 -d "$f" ".job/splits/${f##*/}."
	done
	# the maps, on every CPU: a split's lines to the mapper (no key:
	# TextInputFormat's offsets are not passed); its output split at the
	# first tab (none: the whole line is the key, the value empty), sorted
	# by key, through the combiner as "key TAB value" lines
	find .job/splits -type f -print0 |
		MAPPER=$mapper COMBINER=${combiner:-cat} xargs -0 -P 4 -n 1 sh -c '
		set -e
		out=.job/maps/${1##*/}
		sh -c "$MAPPER" <"$1" | sed "/\t/!s/\$/\t/" | LC_ALL=C sort >"$out.sorted"
		sh -c "$COMBINER" <"$out.sorted" | sed "/\t/!s/\$/\t/" >"$out"
		rm "$out.sorted"' _ || return 1
	# the shuffle: each line to a reducer by a hash of its key
	cat .job/maps/* | LC_ALL=C awk -v n="$reduces" -v dir=.job/shuffle '
		BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
			for (r = 0; r < n; r++) printf "" > (dir "/" r) }
		{ k = $0; sub(/\t.*/, "", k); h = 0
		  for (i = 1; i <= length(k); i++) h = (h * 31 + ord[substr(k, i, 1)]) % 1000003
		  print > (dir "/" (h % n)) }'
	# the reduces: sorted by key, each output line written "key TAB value"
	for ((r = 0; r < reduces; r++)); do
		LC_ALL=C sort ".job/shuffle/$r" | sh -c "$reducer" | sed "/\t/!s/\$/\t/" \
			>"$out/$(printf 'part-%05d' "$r")" || return 1
	done
	rm -r .job
}

# hdfs dfs -cat GLOB...
hdfs() {
	[ "$1 $2" = "dfs -cat" ] || { echo "hdfs: only dfs -cat: $*" >&2; return 2; }
	shift 2
	# shellcheck disable=SC2048,SC2086 # the globs are the point
	cat $*
}

# duckdb -c SQL, through the node module; prints the rows "a b"
duckdb() {
	[ "$1" = -c ] || return 2
	cat >q.mjs <<EOS
import { DuckDBInstance } from '$DUCKDB_MOD/lib/index.js';
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const r = await c.runAndReadAll(process.argv[2]);
for (const row of r.getRows()) console.log(row.join(' '));
EOS
	node q.mjs "$2"
}

# run a block of dh(7) in this shell, its stdout to out, stderr to err
run_block() {
	doc_block "$1" >block.sh || fail "no block of dh(7) holds '$1'"
	[ -s block.sh ] || fail "empty block for '$1'"
	status=0
	# shellcheck disable=SC1091
	(set -e -o pipefail; source ./block.sh) >out 2>err || status=$?
	[ "$status" -eq 0 ] || fail "dh(7) block failed (exit $status):" "$(cat block.sh)" "$(cat err)"
}

@test "dh(7): the DuckDB query reads the table as Hive partitions" {
	[ -d "$DUCKDB_MOD" ] || skip "DuckDB is not installed (make bench installs it)"
	run_block "duckdb -c"
	grep -q "hive_partitioning = true" block.sh || fail "$(cat block.sh)"
	want=$(for d in 2026-11-20 2026-11-21 2026-11-22; do
		echo "$d $(jq -r .ts all.jsonl | grep -c "^$d")"; done)
	[ "$(cat out)" = "$want" ] || fail "got: $(cat out)" "want: $want"
}

@test "dh(7): dh-agg --partial per partition with xargs -P, then --merge: the single run's bytes" {
	run_block "xargs -P \"\$(nproc)\" -I{} sh -c \\e"$'\n'"    'dh-agg"
	grep -q -- '--partial' block.sh && grep -q 'xargs -P' block.sh || fail "$(cat block.sh)"
	[ "$(ls parts | wc -l)" -eq 3 ] || fail "states: $(ls parts)"
	dh-agg -g country -a count,sum:price,distinct:user_id state/clean/clicks/dt=* >want
	[ "$(wc -l <want)" -ge 10 ] || fail "few groups: $(cat want)"
	cmp out want || fail "merged: $(head -3 out)" "single: $(head -3 want)"
}

@test "dh(7): the same with GNU parallel" {
	parallel --version 2>/dev/null | grep -q 'GNU parallel' ||
		skip "GNU parallel is not installed (Debian package: parallel)"
	mkdir -p parts
	run_block "| parallel"
	grep -q 'parallel' block.sh || fail "$(cat block.sh)"
	[ "$(ls parts | wc -l)" -eq 3 ] || fail "states: $(ls parts)"
	dh-agg -g country -a count,sum:price,distinct:user_id state/clean/clicks/dt=* >want
	cmp out want || fail "merged: $(head -3 out)" "single: $(head -3 want)"
}

@test "dh(7): dh-dedup per partition with xargs -P, then over the survivors: the single run's bytes" {
	mkdir -p parts
	run_block "'dh-dedup -k event_id"
	dh-dedup -k event_id state/raw/clicks/ingest_date=* >want
	[ "$(wc -l <want)" -lt 6000 ] || fail "no duplicates in the data"
	cmp out want || fail "$(diff out want | head)"
}

@test "dh(7): dh-agg as Hadoop Streaming mapper, combiner and reducers, then --merge: the single run's lines" {
	run_block "-mapper 'dh-agg"
	mapper=$(sed -n "s/.*-mapper '\([^']*\)'.*/\1/p" block.sh)
	[ -n "$mapper" ] || fail "no mapper in $(cat block.sh)"
	# three reducers: states of one group did reach two of them
	cut -f1 agg/part-* | jq -r '.key | tostring' | sort | uniq -d | grep -q . ||
		fail "no group split over reducers: the second stage was not needed"
	grep -q $'\t$' agg/part-00000 || fail "Hadoop's output lines end in a tab"
	# the single run: the mapper without --partial, on all the input
	${mapper% --partial} clicks/* >want
	[ "$(wc -l <want)" -ge 10 ] || fail "few groups"
	LC_ALL=C sort out >got.sorted
	LC_ALL=C sort want >want.sorted
	cmp got.sorted want.sorted || fail "$(diff got.sorted want.sorted | head)"
}

@test "dh(7): dh-dedup -k as Hadoop Streaming mapper and single reducer: each key once, the single run's lines where a key's records are one" {
	run_block "-mapper 'dh-dedup"
	mapper=$(sed -n "s/.*-mapper '\([^']*\)'.*/\1/p" block.sh)
	[ "$(ls unique)" = part-00000 ] || fail "reducers: $(ls unique)"
	$mapper clicks/* >want
	# every key once, the same keys as the single run
	jq -r .event_id unique.jsonl | LC_ALL=C sort >got.keys
	jq -r .event_id want | LC_ALL=C sort >want.keys
	[ -z "$(uniq -d got.keys)" ] || fail "keys twice: $(uniq -d got.keys | head -3)"
	cmp got.keys want.keys || fail "other keys: $(diff got.keys want.keys | head)"
	# the records: the single run's bytes, but for the keys whose records
	# differ (the reducer keeps the first in byte order)
	jq -r .event_id all.jsonl | LC_ALL=C sort | uniq -d >dupkeys
	LC_ALL=C sort -u all.jsonl | jq -r .event_id | LC_ALL=C sort | uniq -d >mixed
	[ -s mixed ] && [ "$(comm -23 dupkeys mixed | wc -l)" -gt 0 ] ||
		fail "the data needs both kinds of duplicate keys"
	grep -v -F -f mixed unique.jsonl | LC_ALL=C sort >got.same
	grep -v -F -f mixed want | LC_ALL=C sort >want.same
	cmp got.same want.same || fail "$(diff got.same want.same | head)"
	[ "$(wc -l <got.same)" -eq $(($(wc -l <want) - $(wc -l <mixed))) ] || fail "count"
	# and where they differ, one of the key's records as it came
	while read -r k; do
		grep -F "\"$k\"" unique.jsonl >kept
		[ "$(wc -l <kept)" -eq 1 ] && grep -qxF -f kept all.jsonl || fail "key $k: $(cat kept)"
	done <mixed
}

@test "dh(7): without -k, Hadoop Streaming dedups whole records to the single run's lines" {
	run_block "-mapper 'dh-dedup"
	sed -i 's/ -k event_id//g' block.sh
	rm -rf unique
	# shellcheck disable=SC1091
	(set -e -o pipefail; source ./block.sh) || fail "exit $?"
	dh-dedup clicks/* | LC_ALL=C sort >want
	LC_ALL=C sort unique.jsonl >got
	cmp got want || fail "$(diff got want | head)"
}
