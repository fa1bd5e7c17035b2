#!/usr/bin/env bats
# shellcheck disable=SC2154 # $out, $err, $status: set by capture in helper.bash
# dh-agg: group-by aggregates, event-time windows, mergeable states; held
# against hand-computed results, Miller, GNU datamash, and references
# computed here with sort and awk.

load helper

setup() {
	dh_setup
	ROOT=$BATS_TEST_DIRNAME/..
	GEN=$ROOT/${BUILD:-build}/tools/gen
	RSS=$ROOT/${BUILD:-build}/tools/rss
	TP="$DH_CONF/json-test-suite/test_parsing"
}

teardown() {
	# a streaming test that failed half way leaves its dh-agg behind
	[ -z "${pid:-}" ] || kill "$pid" 2>/dev/null || true
}

# num_eq GOT WANT KEYS TOL: the JSON lines of GOT and WANT hold the same
# groups (by the comma list of fields KEYS), and every field of a WANT
# group is in GOT's equal one: numbers (or strings of numbers, as Miller
# writes them) within TOL relative, null the same as "" and "nan" (how
# Miller and datamash write "no value"), anything else equal.
num_eq() {
	local diffs
	diffs=$(jq -n -r --slurpfile got "$1" --slurpfile want "$2" --arg keys "$3" \
		--argjson tol "$4" '
		def norm: if . == "" or . == "nan" or . == "-nan" then null
			elif type == "string" then (tonumber? // .) else . end;
		def near($a; $b): ($a | norm) as $x | ($b | norm) as $y |
			if ($x | type) == "number" and ($y | type) == "number" then
				$x == $y or ((($x - $y) | fabs) <= $tol * ([($x | fabs), ($y | fabs)] | max))
			else $x == $y end;
		($keys | split(",")) as $ks |
		def index: reduce .[] as $r ({}; .[[$r[$ks[]]] | tojson] = $r);
		($got | index) as $g | ($want | index) as $w |
		($g | keys[] | select($w[.] == null) | "only in dh-agg: \(.)"),
		($w | keys[] | select($g[.] == null) | "missing from dh-agg: \(.)"),
		($w | to_entries[] | .key as $k | select($g[$k] != null) | .value | to_entries[] |
			select(near(.value; $g[$k][.key]) | not) |
			"\($k) \(.key): dh-agg \($g[$k][.key] | tojson), want \(.value | tojson)")') ||
		{ fail "num_eq: $1 or $2 is not JSON lines"; return 1; }
	[ -z "$diffs" ] && return 0
	fail "$1 and $2 differ:" "$(printf '%s\n' "$diffs" | head -n 20)"
}

# var_near GOT WANT KEY TOL: price_var and price_stddev of each WANT
# group within TOL of the scale of the numbers (var + mean^2, stddev +
# |mean|), and null where WANT has none
var_near() {
	local diffs
	diffs=$(jq -n -r --slurpfile got "$1" --slurpfile want "$2" --arg k "$3" --argjson tol "$4" '
		def num: if . == "" then null elif type == "string" then tonumber else . end;
		(reduce $got[] as $r ({}; .[$r[$k] | tojson] = $r)) as $g |
		$want[] | (.[$k] | tojson) as $key | $g[$key] as $d |
		(.price_mean | num) as $m | (.price_var | num) as $v | (.price_stddev | num) as $s |
		if $d == null then "missing from dh-agg: \($key)"
		elif $v == null then
			(if $d.price_var != null or $d.price_stddev != null then "\($key): dh-agg has a variance" else empty end)
		elif $d.price_var == null or $d.price_stddev == null then "\($key): dh-agg has no variance"
		elif (($d.price_var - $v) | fabs) > $tol * ($v + $m * $m) or
			(($d.price_stddev - $s) | fabs) > $tol * ($s + ($m | fabs))
		then "\($key): var \($d.price_var) stddev \($d.price_stddev), want \($v) \($s)"
		else empty end') || { fail "var_near: $1 or $2 is not JSON lines"; return 1; }
	[ -z "$diffs" ] && return 0
	fail "$1 and $2 differ:" "$(printf '%s\n' "$diffs" | head -n 20)"
}

# ms: the epoch milliseconds of dh-agg's ISO 8601 times (jq 1.6 reads no
# fractions)
JQ_MS='def ms: capture("^(?<s>[^.Z]+)(\\.(?<f>[0-9]+))?Z$") |
	((.s + "Z") | fromdateiso8601) * 1000 + ((.f // "") + "000" | .[0:3] | tonumber);'

# max_ooo FILE.tsv: how far, in whole seconds rounded up, a record's time
# (epoch seconds with a fraction, first column) lags the newest before it
max_ooo() {
	awk -F'\t' '{ split($1, e, "."); t = e[1] * 1000 + substr(e[2] "000", 1, 3)
		if (NR > 1 && max - t > d) d = max - t; if (NR == 1 || t > max) max = t }
		END { printf "%.0f\n", d / 1000 + 1 }' "$1"
}

# --- options, usage, exit codes -------------------------------------------

@test "--help, --version, unknown options and usage errors, with their exact messages" {
	capture dh-agg --help
	assert_status 0
	[[ $out == "Usage: dh-agg "* ]] || fail "help: $out"
	[[ $out == *"See dh-agg(1)"* ]] || fail "help has no pointer to the man page"
	capture dh-agg --version
	assert_status 0
	[[ $out =~ ^dh-agg\ \(dh\)\ [0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || fail "version: $out"
	capture dh-agg --bogus
	assert_status 2
	assert_err $'dh-agg: unrecognized option \'--bogus\'\nTry \'dh-agg --help\' for more information.'
	try=$'\nTry \'dh-agg --help\' for more information.'
	capture dh-agg
	assert_status 2
	assert_err "dh-agg: -a AGGS is required: what to compute (count,sum:price,...)$try"
	capture dh-agg -g country
	assert_status 2
	assert_err "dh-agg: -a AGGS is required: what to compute (count,sum:price,...)$try"
	capture dh-agg -a count --window tumbling:1m
	assert_status 2
	assert_err "dh-agg: --window needs --time FIELD, the event time$try"
	capture dh-agg -a count --time ts
	assert_status 2
	assert_err "dh-agg: --time needs --window SPEC$try"
	local o
	for o in "--lateness 1m" "--delay 1m" "--late l.jsonl" --accumulate --discard --retract; do
		# shellcheck disable=SC2086 # o is words
		capture dh-agg -a count $o
		assert_status 2
		assert_err "dh-agg: --delay, --lateness, --late, --accumulate, --discard and --retract need --window$try"
	done
	[ ! -e l.jsonl ] || fail "a usage error created the --late file"
	local merge_msg="dh-agg: --merge takes the groups, aggregates and window from the saved states: no -g, -a, --window or --time$try"
	for o in "-a count" "-g country" "--window tumbling:1m" "--time ts"; do
		# shellcheck disable=SC2086
		capture dh-agg --merge $o
		assert_status 2
		assert_err "$merge_msg"
	done
	local names='(count, nulls, sum, mean, min, max, var, stddev, median, pNN, first, last, distinct, approx_distinct)'
	for o in bogus:x p-1:x pxx:x p:x; do
		capture dh-agg -a "$o"
		assert_status 2
		assert_err "dh-agg: -a $o: unknown aggregator '${o%:x}' $names$try"
	done
	for o in p101:x p100.5:x p1e1:x; do
		capture dh-agg -a "$o"
		assert_status 2
		assert_err "dh-agg: -a $o: '${o%:x}': a percentile is p0 to p100 (p50, p99.9)$try"
	done
	capture dh-agg -a count,,sum:x
	assert_status 2
	assert_err "dh-agg: -a count,,sum:x: unknown aggregator '' $names$try"
	capture dh-agg -a sum
	assert_status 2
	assert_err "dh-agg: -a sum: 'sum' needs a field: sum:FIELD$try"
	capture dh-agg -a count:
	assert_status 2
	assert_err "dh-agg: -a count:: 'count:': an empty field name$try"
	capture dh-agg -a sum:x,sum:x
	assert_status 2
	assert_err "dh-agg: -a sum:x,sum:x: 'sum:x' is listed twice$try"
	capture dh-agg -g '' -a count
	assert_status 2
	assert_err "dh-agg: -g takes a list of fields, not ''$try"
	capture dh-agg -g a,,b -a count
	assert_status 2
	assert_err "dh-agg: -g a,,b: an empty field name$try"
	# window specs
	local spec_msg="--window takes tumbling:SIZE, sliding:SIZE:PERIOD or session:GAP (1h, 5m, 30s)"
	for o in weekly:1h tumbling sliding:1m session tumbling:1m:1m; do
		capture dh-agg -a count --time ts --window "$o"
		assert_status 2
		assert_err "dh-agg: $spec_msg, not '$o'$try"
	done
	capture dh-agg -a count --time ts --window tumbling:0s
	assert_status 2
	assert_err "dh-agg: --window tumbling:0s: 0s: a duration must be more than 0$try"
	capture dh-agg -a count --time ts --window session:1x
	assert_status 2
	assert_err "dh-agg: --window session:1x: 1x: expected a number and a unit (ns, us, ms, s, m, h, d, w), as 30m or 1h30m$try"
	capture dh-agg -a count --time ts --window sliding:1m:2m
	assert_status 2
	assert_err "dh-agg: --window sliding:1m:2m: the period is longer than the window, so some records would fall in none$try"
	capture dh-agg -a count --time ts --window sliding:2m:2m </dev/null
	assert_status 0
	capture dh-agg -a count --time ts --window tumbling:1m --delay xx
	assert_status 2
	assert_err "dh-agg: --delay xx: expected a number and a unit (ns, us, ms, s, m, h, d, w), as 30m or 1h30m$try"
	capture dh-agg -a count --time ts --window tumbling:1m --time-unit h
	assert_status 2
	assert_err "dh-agg: unknown time unit 'h' (s, ms, us, ns)$try"
	capture dh-agg -a count --time-unit ms
	assert_status 2
	assert_err "dh-agg: --time-unit needs --time FIELD and --window SPEC$try"
	capture dh-agg -a count --time ts --window tumbling:1m --late -
	assert_status 2
	assert_err "dh-agg: --late -: standard output carries the results; name a file (/dev/stderr, a FIFO)$try"
	# 0 is the default delay and lateness, and may be said
	capture dh-agg -a count --time ts --window tumbling:1m --delay 0s --lateness 0m </dev/null
	assert_status 0
	assert_out_empty
	capture dh-agg -a count --time ts --window tumbling:1m --accumulate --discard
	assert_status 2
	assert_err "dh-agg: --accumulate, --discard and --retract exclude each other$try"
	capture dh-agg -a count --time ts --window tumbling:1m --retract --discard
	assert_status 2
	assert_err "dh-agg: --accumulate, --discard and --retract exclude each other$try"
	# --partial writes every state at the end: no watermark, no other format
	local partial_msg="dh-agg: --partial writes each window's state at the end of input: no --delay, --lateness, --late, --accumulate, --discard or --retract$try"
	for o in "--lateness 1m" "--delay 1m" "--late l.jsonl" --discard --retract; do
		# shellcheck disable=SC2086
		capture dh-agg -a count --time ts --window tumbling:1m --partial $o
		assert_status 2
		assert_err "$partial_msg"
	done
	for o in csv tsv json; do
		capture dh-agg -a count --partial -t "$o"
		assert_status 2
		assert_err "dh-agg: --partial writes JSON lines: no -t $o$try"
	done
	capture dh-agg -a count -t xml
	assert_status 2
	assert_err "dh-agg: unknown output format 'xml' (csv, tsv, jsonl, json)$try"
	# none of them read their input or wrote anything
	capture dh-agg -a count -t xml /nonexistent
	assert_status 2
	assert_out_empty
}

@test "/dev/full: exit 4 and a write error, for results, windows and saved states" {
	"$GEN" -n 5000 -f jsonl -s 3 >e.jsonl
	local args
	for args in "-g user_id -a count" "-a count" "-g user_id -a count --partial" \
		"-g country -a count --time ts --window tumbling:1h" "-g country -a count -t csv" \
		"-g country -a count -t json"; do
		# shellcheck disable=SC2086
		capture sh -c 'exec dh-agg "$@" >/dev/full' sh $args e.jsonl
		assert_status 4
		assert_err 'dh-agg: write error: stdout: No space left on device'
	done
	capture sh -c 'exec dh-agg -a count </dev/null >/dev/full'
	assert_status 4
	assert_err 'dh-agg: write error: stdout: No space left on device'
	dh-agg -g country -a count --partial e.jsonl >s.state
	capture sh -c 'exec dh-agg --merge s.state >/dev/full'
	assert_status 4
	assert_err 'dh-agg: write error: stdout: No space left on device'
	# the side files too
	printf '{"x":"a"}\n' >r.jsonl
	capture dh-agg -a sum:x --rejects /dev/full r.jsonl
	assert_status 4
	assert_err_match '^dh-agg: write error: /dev/full: No space left on device$'
	capture dh-agg -a count --time ts --window tumbling:1h --late /dev/full e.jsonl
	assert_status 4
	assert_err_match 'dh-agg: write error: /dev/full: No space left on device'
}

@test "| head -1: one line, and dh-agg says nothing on stderr" {
	"$GEN" -n 5000 -f jsonl -s 3 >e.jsonl
	local args line
	for args in "-g user_id -a count" "-g user_id -a count --partial" \
		"-g user_id -a count -t csv" "-g country -a count --time ts --window tumbling:1m --delay 1h"; do
		# shellcheck disable=SC2086
		line=$(dh-agg $args e.jsonl 2>err | head -n 1; echo "rc=${PIPESTATUS[0]}")
		[[ $line == *$'\n'rc=141 || $line == *$'\n'rc=0 ]] || fail "$args: $line"
		[ "$(printf '%s\n' "$line" | wc -l)" -eq 2 ] || fail "$args: $line"
		[ ! -s err ] || fail "$args: stderr: $(cat err)"
	done
}

# --- every aggregator, exactly ---------------------------------------------

# group a: numbers 3, -1, 10, 4 (all integers) and two nulls (null, "");
# group b: 1.5, 2.5 and a missing x; group c: only a null
hand_input() {
	cat >hm.jsonl <<'JSON'
{"g":"a","x":3,"s":"p"}
{"g":"b","x":1.5,"s":"q"}
{"g":"a","x":null,"s":"r"}
{"g":"a","x":"","s":""}
{"g":"b","s":"q"}
{"g":"a","x":-1,"s":"p"}
{"g":"c","x":null}
{"g":"a","x":10,"s":"t"}
{"g":"b","x":2.5,"s":"u"}
{"g":"a","x":4}
JSON
	printf '%s\n' g,x,s a,3,p b,1.5,q a,,r a,, b,,q a,-1,p c,, a,10,t b,2.5,u a,4, >hm.csv
}

HAND_AGGS=count,count:x,nulls:x,sum:x,mean:x,min:x,max:x,var:x,stddev:x,median:x,p25:x,p90:x,first:x,last:x,distinct:x,approx_distinct:x,first:s,last:s,distinct:s,nulls:s

@test "every aggregator on a small JSON lines input: nulls, missing and empty skipped, null results, JSON lines, JSON and CSV out" {
	hand_input
	# a: var = ((-1-4)^2 + (3-4)^2 + (4-4)^2 + (10-4)^2) / 3 = 62/3; median
	# (3+4)/2; p25 = -1 + 0.75 * (3 - -1); p90 = 4 + 0.7 * (10 - 4) as
	# Miller's stats1 -i computes it. b: a float sum that is whole prints
	# as 4. c: nothing to aggregate: sum 0, counts 0, the rest null.
	local a='{"g":"a","count":6,"x_count":4,"x_nulls":2,"x_sum":16,"x_mean":4,"x_min":-1,"x_max":10,"x_var":20.666666666666668,"x_stddev":4.546060565661952,"x_median":3.5,"x_p25":2,"x_p90":8.200000000000001,"x_first":3,"x_last":4,"x_distinct":4,"x_approx_distinct":4,"s_first":"p","s_last":"t","s_distinct":3,"s_nulls":2}'
	local b='{"g":"b","count":3,"x_count":2,"x_nulls":1,"x_sum":4,"x_mean":2,"x_min":1.5,"x_max":2.5,"x_var":0.5,"x_stddev":0.7071067811865476,"x_median":2,"x_p25":1.75,"x_p90":2.4,"x_first":1.5,"x_last":2.5,"x_distinct":2,"x_approx_distinct":2,"s_first":"q","s_last":"u","s_distinct":2,"s_nulls":0}'
	local c='{"g":"c","count":1,"x_count":0,"x_nulls":1,"x_sum":0,"x_mean":null,"x_min":null,"x_max":null,"x_var":null,"x_stddev":null,"x_median":null,"x_p25":null,"x_p90":null,"x_first":null,"x_last":null,"x_distinct":0,"x_approx_distinct":0,"s_first":null,"s_last":null,"s_distinct":0,"s_nulls":1}'
	capture dh-agg -g g -a "$HAND_AGGS" hm.jsonl
	assert_status 0
	assert_err_empty
	assert_out "$a"$'\n'"$b"$'\n'"$c"
	capture dh-agg -g g -a "$HAND_AGGS" -t json hm.jsonl
	assert_status 0
	assert_out "["$'\n'"$a,"$'\n'"$b,"$'\n'"$c"$'\n'"]"
	capture dh-agg -g g -a "$HAND_AGGS" -t csv hm.jsonl
	assert_status 0
	assert_out "g,count,x_count,x_nulls,x_sum,x_mean,x_min,x_max,x_var,x_stddev,x_median,x_p25,x_p90,x_first,x_last,x_distinct,x_approx_distinct,s_first,s_last,s_distinct,s_nulls
a,6,4,2,16,4,-1,10,20.666666666666668,4.546060565661952,3.5,2,8.200000000000001,3,4,4,4,p,t,3,2
b,3,2,1,4,2,1.5,2.5,0.5,0.7071067811865476,2,1.75,2.4,1.5,2.5,2,2,q,u,2,0
c,1,0,1,0,,,,,,,,,,,0,0,,,0,1"
	# p0 and p100 are min and max; fractions of a percent are allowed
	# (p99.9 is 4 + 0.997 * 6 in doubles, as Miller's stats1 -i has it)
	capture dh-agg -g g -a p0:x,p100:x,p50:x,p99.9:x hm.jsonl
	assert_status 0
	assert_out '{"g":"a","x_p0":-1,"x_p100":10,"x_p50":3.5,"x_p99.9":9.982000000000003}
{"g":"b","x_p0":1.5,"x_p100":2.5,"x_p50":2,"x_p99.9":2.499}
{"g":"c","x_p0":null,"x_p100":null,"x_p50":null,"x_p99.9":null}'
}

@test "the same records as CSV: the same numbers; first and last as read (strings in JSON)" {
	hand_input
	capture dh-agg -g g -a "$HAND_AGGS" hm.csv
	assert_status 0
	dh-agg -g g -a "$HAND_AGGS" -t csv hm.jsonl >want.csv
	assert_out_file want.csv
	capture dh-agg -g g -a "$HAND_AGGS" -t jsonl hm.csv
	assert_status 0
	# what differs from the JSON input: x_first and x_last are the CSV's strings
	dh-agg -g g -a "$HAND_AGGS" hm.jsonl |
		jq -c 'if .x_first != null then .x_first |= tostring | .x_last |= tostring else . end' >want.jsonl
	json_eq "$DH_OUT" want.jsonl
	[ "$(jq -c '[.x_first, .x_last]' "$DH_OUT" | tr '\n' ' ')" = '["3","4"] ["1.5","2.5"] [null,null] ' ] ||
		fail "first/last: $out"
	# TSV in, TSV out
	tr , '\t' <hm.csv >hm.tsv
	capture dh-agg -g g -a "$HAND_AGGS" hm.tsv
	assert_status 0
	tr , '\t' <want.csv | cmp - "$DH_OUT" || fail "TSV: $out"
}

@test "no -g: one group; on empty input still one result (count 0, the rest null), as SQL's count(*)" {
	hand_input
	capture dh-agg -a count,sum:x,min:x hm.jsonl
	assert_status 0
	assert_out '{"count":10,"x_sum":20,"x_min":-1}'
	capture dh-agg -a "count,sum:x,mean:x,var:x,median:x,first:x,distinct:x,approx_distinct:x,nulls:x" </dev/null
	assert_status 0
	assert_out '{"count":0,"x_sum":0,"x_mean":null,"x_var":null,"x_median":null,"x_first":null,"x_distinct":0,"x_approx_distinct":0,"x_nulls":0}'
	capture dh-agg -a count -t csv </dev/null
	assert_status 0
	assert_out $'count\n0'
	printf 'x,g\n' >h.csv
	capture dh-agg -a count,sum:x,mean:x h.csv
	assert_status 0
	assert_out $'count,x_sum,x_mean\n0,0,'
	# with groups there is no group at all: CSV still gets its header
	capture dh-agg -g g -a count h.csv
	assert_status 0
	assert_out 'g,count'
	capture dh-agg -g g -a count </dev/null
	assert_status 0
	assert_out_empty
}

@test "group keys: a missing key and null are one group, types kept (1, \"1\", 1.0 apart), dotted paths, several keys" {
	printf '%s\n' '{"k":1,"d":{"e":"x"}}' '{"k":"1","d":{"e":"x"}}' '{"k":1.0,"d":{"e":"y"}}' \
		'{"k":[1],"d":{}}' '{"k":{"a":1}}' '{"k":null}' '{"d":{"e":"x"}}' '{"k":true}' \
		'{"k":1,"d":{"e":"x"}}' '{"d":{"e":"x"},"k":null}' >k.jsonl
	capture dh-agg -g k,d.e -a count k.jsonl
	assert_status 0
	assert_out '{"k":1,"d.e":"x","count":2}
{"k":"1","d.e":"x","count":1}
{"k":1.0,"d.e":"y","count":1}
{"k":[1],"d.e":null,"count":1}
{"k":{"a":1},"d.e":null,"count":1}
{"k":null,"d.e":null,"count":1}
{"k":null,"d.e":"x","count":2}
{"k":true,"d.e":null,"count":1}'
	# in CSV, an empty key is the empty string, its own group
	printf 'g,x\n,1\na,\n"",2\n' >e.csv
	capture dh-agg -g g -a count,sum:x,nulls:x e.csv
	assert_status 0
	assert_out $'g,count,x_sum,x_nulls\n,2,3,0\na,1,0,1'
	# groups come in the order of their first record; input need not be sorted
	printf '%s\n' '{"g":"z"}' '{"g":"a"}' '{"g":"z"}' '{"g":"m"}' '{"g":"a"}' >o.jsonl
	capture dh-agg -g g -a count o.jsonl
	assert_status 0
	assert_out $'{"g":"z","count":2}\n{"g":"a","count":2}\n{"g":"m","count":1}'
}

@test "distinct: exact over canonical values; nulls are not values" {
	printf '%s\n' '{"x":1}' '{"x":"1"}' '{"x":1.0}' '{"x":true}' '{"x":{"a":1,"b":2}}' \
		'{"x":{ "b" : 2, "a" : 1 }}' '{"x":[1,2]}' '{"x":[2,1]}' '{"x":"a"}' '{"x":"\u0061"}' \
		'{"x":null}' '{"x":""}' '{}' '{"x":1}' >d.jsonl
	# 1, "1", 1.0, true, one object (key order and spacing aside), two
	# arrays, "a" (however escaped)
	capture dh-agg -a count,count:x,distinct:x,approx_distinct:x,nulls:x d.jsonl
	assert_status 0
	assert_out '{"count":14,"x_count":11,"x_distinct":8,"x_approx_distinct":8,"x_nulls":3}'
}

# --- numbers --------------------------------------------------------------

@test "numbers: shortest doubles, exact sums in any order, integers summed exactly in 64 bits" {
	# the shortest text that reads back the same double
	capture dh-agg -f csv -a sum:x,mean:x < <(printf 'x\n0.1\n0.2\n')
	assert_status 0
	assert_out $'x_sum,x_mean\n0.30000000000000004,0.15000000000000002'
	capture dh-agg -f csv -a sum:x,mean:x < <(printf 'x\n0.1\n0.7\n')
	assert_status 0
	assert_out $'x_sum,x_mean\n0.7999999999999999,0.39999999999999997'
	# 1e16 + 1 is 1e16 in doubles: a naive sum is 0 in some orders; the
	# exact sum is 1 in every order
	local p
	for p in "1e16 1 -1e16" "1e16 -1e16 1" "1 1e16 -1e16" "1 -1e16 1e16" "-1e16 1e16 1" "-1e16 1 1e16"; do
		# shellcheck disable=SC2086 # p is words
		printf '{"x":%s}\n' $p >s.jsonl
		capture dh-agg -a sum:x,mean:x,min:x,max:x s.jsonl
		assert_status 0
		assert_out '{"x_sum":1,"x_mean":0.3333333333333333,"x_min":-1e+16,"x_max":1e+16}'
	done
	awk 'BEGIN { s = 1e16; s += 1; s -= 1e16; if (s == 1) exit 1 }' ||
		fail "awk's naive sum is exact here: the example shows nothing"
	printf '{"x":%s}\n' 1e100 1 -1e100 0.5 1e-300 -1e-300 >s.jsonl
	capture dh-agg -a sum:x s.jsonl
	assert_status 0
	assert_out '{"x_sum":1.5}'
	# integers: exact past 2^53, where a double sum rounds; one non-integer
	# makes the sum a double (the exact total rounded once)
	printf '{"x":%s}\n' 9007199254740993 2 >i.jsonl
	capture dh-agg -a sum:x,min:x,max:x i.jsonl
	assert_status 0
	assert_out '{"x_sum":9007199254740995,"x_min":2,"x_max":9007199254740993}'
	printf '{"x":%s}\n' 9007199254740993 2.0 >f.jsonl
	capture dh-agg -a sum:x f.jsonl
	assert_status 0
	assert_out '{"x_sum":9007199254740996}'
	printf '{"x":%s}\n' -9223372036854775807 -1 9223372036854775807 >m.jsonl
	capture dh-agg -a sum:x,min:x,max:x m.jsonl
	assert_status 0
	assert_out '{"x_sum":-1,"x_min":-9223372036854775807,"x_max":9223372036854775807}'
	# a JSON string holding a number is a number; leading + and . are read
	printf '{"x":%s}\n' '"12.5"' '"+1"' '".5"' '-0.5e1' '"1E2"' >j.jsonl
	capture dh-agg -a sum:x,count:x j.jsonl
	assert_status 0
	assert_out '{"x_sum":109,"x_count":5}'
	# var and stddev: sample statistics
	printf 'x\n1\n2\n3\n4\n' >v.csv
	capture dh-agg -a var:x,stddev:x,mean:x v.csv
	assert_status 0
	assert_out $'x_var,x_stddev,x_mean\n1.6666666666666667,1.2909944487358056,2.5'
	# no cancellation on a big offset (a sum of squares in doubles gives 0
	# or garbage here)
	printf 'x\n1000000000.1\n1000000000.2\n1000000000.3\n' >w.csv
	capture dh-agg -a var:x w.csv
	assert_status 0
	awk -F, 'NR == 2 { v = $1 + 0; if (v < 0.0099999 || v > 0.0100001) exit 1 }' "$DH_OUT" ||
		fail "var of 1e9+0.1, +0.2, +0.3: $out"
}

@test "not a number: exit 3 naming file, line, field and value; --skip-invalid; --rejects; --max-rejects" {
	printf 'country,price\nUS,1\nUS,1x\nFR,2\nFR,inf\n' >bad.csv
	capture dh-agg -g country -a sum:price bad.csv
	assert_status 3
	assert_out_empty
	assert_err 'dh-agg: bad.csv:3: field "price": not a number: "1x"'
	local v
	for v in '"1x"' '"inf"' '"nan"' '"0x10"' true '{"a":1}' '[1]' '"1,5"' '" 1"' '"1e"' '"--1"'; do
		printf '{"n":1}\n{"n":%s}\n' "$v" >b.jsonl
		capture dh-agg -a mean:n b.jsonl
		assert_status 3
		assert_err_match '^dh-agg: b\.jsonl:2: field "n": not a number: '
	done
	printf '{"n":1}\n{"n":"1x"}\n' >b.jsonl
	capture dh-agg -a mean:n b.jsonl
	assert_err 'dh-agg: b.jsonl:2: field "n": not a number: "1x"'
	# a bad value matters only where a number is needed
	capture dh-agg -g country -a count,count:price,first:price,last:price,distinct:price,nulls:price bad.csv
	assert_status 0
	assert_out $'country,count,price_count,price_first,price_last,price_distinct,price_nulls\nUS,2,2,1,1x,2,0\nFR,2,2,2,inf,2,0'
	# --skip-invalid: left out of the numeric aggregates, counted, named on stderr
	capture dh-agg -g country -a count,sum:price,mean:price,count:price --skip-invalid --stats bad.csv
	assert_status 0
	assert_out $'country,count,price_sum,price_mean,price_count\nUS,2,1,1,2\nFR,2,2,2,2'
	[ "$(sed -n 1p "$DH_ERR")" = 'dh-agg: 2 values that are not numbers left out (--skip-invalid)' ] ||
		fail "stderr: $err"
	[ "$(sed -n 2p "$DH_ERR" | jq -c '[.records_in, .records_out, .rejected, .invalid]')" = '[4,2,0,2]' ] ||
		fail "stats: $err"
	printf 'x\n1\nz\n' >one.csv
	capture dh-agg -a sum:x --skip-invalid one.csv
	assert_status 0
	assert_out $'x_sum\n1'
	assert_err_match '^dh-agg: 1 value that is not .* left out \(--skip-invalid\)$'
	# --rejects: the record counts nowhere, goes to the file, and on we go
	capture dh-agg -g country -a count,sum:price --rejects r.jsonl bad.csv
	assert_status 0
	assert_out $'country,count,price_sum\nUS,1,1\nFR,1,2'
	assert_err 'dh-agg: 2 bad records written to r.jsonl'
	[ "$(jq -c '[.file, .line, .reason, .record]' r.jsonl)" = '["bad.csv",3,"field \"price\": not a number: \"1x\"","US,1x"]
["bad.csv",5,"field \"price\": not a number: \"inf\"","FR,inf"]' ] || fail "rejects: $(cat r.jsonl)"
	capture dh-agg -g country -a sum:price --rejects r2.jsonl --max-rejects 1 bad.csv
	assert_status 1
	assert_out_empty
	assert_err 'dh-agg: bad.csv:5: too many rejected records (more than --max-rejects 1); see r2.jsonl'
	# a bad JSON line is a bad record like any other
	printf '{"n":1}\n{"n":\n{"n":2}\n' >j.jsonl
	capture dh-agg -a sum:n j.jsonl
	assert_status 3
	assert_err_match '^dh-agg: j\.jsonl:2: '
	capture dh-agg -a sum:n --rejects rj.jsonl j.jsonl
	assert_status 0
	assert_out '{"n_sum":3}'
}

@test "integers: a sum past 64 bits is exit 3, never wraparound, whatever the order; so is an integer literal past 64 bits in sum and mean" {
	printf '{"n":9223372036854775807}\n{"n":1}\n' >o.jsonl
	capture dh-agg -a sum:n o.jsonl
	assert_status 3
	assert_out_empty
	assert_err 'dh-agg: field "n": the integer sum overflows 64 bits: 9223372036854775808'
	printf '{"n":-9223372036854775808}\n{"n":-1}\n' >u.jsonl
	capture dh-agg -a sum:n u.jsonl
	assert_status 3
	assert_err 'dh-agg: field "n": the integer sum overflows 64 bits: -9223372036854775809'
	# a bad sum is no bad record: --rejects does not take it
	capture dh-agg -a sum:n --rejects r.jsonl o.jsonl
	assert_status 3
	assert_out_empty
	[ ! -s r.jsonl ] || fail "rejects: $(cat r.jsonl)"
	printf 'g,n\na,9223372036854775807\nb,1\na,1\n' >o.csv
	capture dh-agg -g g -a sum:n o.csv
	assert_status 3
	assert_err 'dh-agg: field "n": the integer sum overflows 64 bits: 9223372036854775808'
	# per group: these two never meet
	capture dh-agg -g g -a sum:n <(head -n 3 o.csv)
	assert_status 0
	assert_out $'g,n_sum\na,9223372036854775807\nb,1'
	# only the total counts, in any order: MAX + 1 - 1 is MAX
	local p
	for p in "9223372036854775807 1 -1 = 9223372036854775807" "1 9223372036854775807 -1 = 9223372036854775807" \
		"-1 1 9223372036854775807 = 9223372036854775807" "-9223372036854775808 -1 2 = -9223372036854775807" \
		"9223372036854775807 9223372036854775807 -9223372036854775808 -9223372036854775807 = -1"; do
		# shellcheck disable=SC2086 # p is words
		printf '{"n":%s}\n' ${p% = *} >s.jsonl
		capture dh-agg -a sum:n s.jsonl
		assert_status 0
		assert_out "{\"n_sum\":${p#* = }}"
	done
	# min, max, median, var need no sum: no overflow
	capture dh-agg -a min:n,max:n,median:n,p100:n,var:n o.jsonl
	assert_status 0
	assert_out '{"n_min":1,"n_max":9223372036854775807,"n_median":4.611686018427388e+18,"n_p100":9.223372036854776e+18,"n_var":4.253529586511731e+37}'
	# mean is the exact sum over the count, even past 64 bits
	capture dh-agg -a mean:n o.jsonl
	assert_status 0
	assert_out '{"n_mean":4.611686018427388e+18}'
	local v
	for v in 9223372036854775808 -9223372036854775809 99999999999999999999999; do
		printf '{"n":%s}\n' "$v" >big.jsonl
		for a in sum:n mean:n; do
			capture dh-agg -a "$a" big.jsonl
			assert_status 3
			assert_err "dh-agg: big.jsonl:1: field \"n\": integer beyond 64 bits: \"$v\""
		done
	done
	# such a literal is the nearest double to min, max, median; count,
	# distinct and first take any value
	capture dh-agg -a count:n,distinct:n,first:n,min:n,max:n,median:n big.jsonl
	assert_status 0
	assert_out '{"n_count":1,"n_distinct":1,"n_first":99999999999999999999999,"n_min":1e+23,"n_max":1e+23,"n_median":1e+23}'
	# a sum beyond the double range
	printf '{"x":1.7e308}\n{"x":1.7e308}\n' >d.jsonl
	capture dh-agg -a sum:x d.jsonl
	assert_status 3
	assert_err 'dh-agg: field "x": the sum is beyond the range of a double'
	printf '{"x":1e309}\n' >d.jsonl
	capture dh-agg -a sum:x d.jsonl
	assert_status 3
	assert_err 'dh-agg: d.jsonl:1: field "x": number out of range: "1e309"'
	printf '{"x":1e308}\n{"x":-1e308}\n' >d.jsonl
	capture dh-agg -a var:x d.jsonl
	assert_status 3
	assert_err 'dh-agg: field "x": the variance is beyond the range of a double'
}

@test "median and pNN between huge values of other signs stay finite (the median of -1e308 and 1e308 is 0)" {
	printf '{"x":1e308}\n{"x":-1e308}\n' >d.jsonl
	capture dh-agg -a median:x,p50:x,p25:x d.jsonl
	assert_status 0
	assert_out '{"x_median":0,"x_p50":0,"x_p25":-5e+307}'
	capture dh-agg -t csv -a median:x d.jsonl
	! grep -qiE 'inf|nan' "$DH_OUT" || fail "non-finite: $out"
}

@test "a group key named as a result field, a window field, or twice is a usage error: no duplicate field in the output" {
	printf '{"count":"a","x":1,"pane":2,"ts":1}\n' >c.jsonl
	try=$'\nTry \'dh-agg --help\' for more information.'
	capture dh-agg -g count -a count c.jsonl
	assert_status 2
	assert_out_empty
	assert_err "dh-agg: the group key 'count' has the name of a result field of -a$try"
	capture dh-agg -g x_sum -a sum:x c.jsonl
	assert_status 2
	assert_err "dh-agg: the group key 'x_sum' has the name of a result field of -a$try"
	capture dh-agg -g x,x -a count c.jsonl
	assert_status 2
	assert_err "dh-agg: -g names 'x' twice$try"
	local f
	for f in window_start window_end pane timing; do
		capture dh-agg -g "$f" -a count --time ts --window tumbling:1m c.jsonl
		assert_status 2
		assert_err "dh-agg: the group key '$f' has the name of a window field$try"
	done
	# without a window those names are free
	capture dh-agg -g pane -a count c.jsonl
	assert_status 0
	assert_out '{"pane":2,"count":1}'
}

@test "event times: a bad or missing time is exit 3 with the reason, or a reject; units and formats" {
	printf '{"ts":"2026-11-20T10:00:00Z"}\n{"ts":"yesterday"}\n' >bt.jsonl
	capture dh-agg -a count --time ts --window tumbling:1h bt.jsonl
	assert_status 3
	assert_out_empty
	assert_err 'dh-agg: bt.jsonl:2: field "ts": not an ISO 8601 time or epoch seconds: "yesterday"'
	capture dh-agg -a count --time ts --window tumbling:1h --rejects r.jsonl bt.jsonl
	assert_status 0
	assert_out '{"window_start":"2026-11-20T10:00:00Z","window_end":"2026-11-20T11:00:00Z","count":1,"pane":0,"timing":"on_time"}'
	[ "$(jq -c '[.line, .reason]' r.jsonl)" = '[2,"field \"ts\": not an ISO 8601 time or epoch seconds: \"yesterday\""]' ] ||
		fail "$(cat r.jsonl)"
	printf '{"ts":"2026-11-20T10:00:00Z"}\n{"x":1}\n' >mt.jsonl
	capture dh-agg -a count --time ts --window tumbling:1h mt.jsonl
	assert_status 3
	assert_err "dh-agg: mt.jsonl:2: no field 'ts' for --time"
	printf 'ts\n2026-11-20T10:00:00Z\n3000-01-01T00:00:00Z\n' >far.csv
	capture dh-agg -a count --time ts --window tumbling:1h far.csv
	assert_status 3
	assert_err 'dh-agg: far.csv:3: field "ts": out of range (years 1678 to 2262): "3000-01-01T00:00:00Z"'
	# the same instant in every unit and form; a session window shows it
	local u t
	for u in "s 1795132800" "ms 1795132800123" "us 1795132800123456" "ns 1795132800123456789"; do
		t=${u#* }
		capture dh-agg -a count --time t --window session:1s --time-unit "${u% *}" < <(printf '{"t":%s}\n' "$t")
		assert_status 0
		case ${u% *} in
		s) assert_out '{"window_start":"2026-11-20T00:00:00Z","window_end":"2026-11-20T00:00:01Z","count":1,"pane":0,"timing":"on_time"}' ;;
		ms) assert_out '{"window_start":"2026-11-20T00:00:00.123Z","window_end":"2026-11-20T00:00:01.123Z","count":1,"pane":0,"timing":"on_time"}' ;;
		us) assert_out '{"window_start":"2026-11-20T00:00:00.123456Z","window_end":"2026-11-20T00:00:01.123456Z","count":1,"pane":0,"timing":"on_time"}' ;;
		ns) assert_out '{"window_start":"2026-11-20T00:00:00.123456789Z","window_end":"2026-11-20T00:00:01.123456789Z","count":1,"pane":0,"timing":"on_time"}' ;;
		esac
	done
	# decimal epoch seconds, epoch seconds as a string, ISO 8601 with an offset
	printf '%s\n' '{"t":"1795132800.25"}' '{"t":"1795132800"}' '{"t":"2026-11-20T01:00:00.5+01:00"}' >f.jsonl
	capture dh-agg -a count --time t --window tumbling:1s f.jsonl
	assert_status 0
	assert_out '{"window_start":"2026-11-20T00:00:00Z","window_end":"2026-11-20T00:00:01Z","count":3,"pane":0,"timing":"on_time"}'
}

# --- against peers and references ------------------------------------------

@test "against Miller: count, sum, mean, min, max, var, stddev, median, p25, p75 of price by country and by user_id" {
	command -v mlr >/dev/null || fail "mlr is not installed (scripts/deps)"
	"$GEN" -n 20000 -f csv -s 21 >e.csv
	local g
	for g in country user_id; do
		# Miller skips empty values; -i interpolates percentiles (type 7)
		capture dh-agg -t jsonl -g "$g" \
			-a count:price,sum:price,mean:price,min:price,max:price,var:price,stddev:price,median:price,p25:price,p75:price e.csv
		assert_status 0
		mv "$DH_OUT" got.jsonl
		mlr --icsv --ojsonl stats1 -i -a count,sum,mean,min,max,var,stddev,median,p25,p75 \
			-f price -g "$g" e.csv >want.jsonl
		jq -c 'del(.price_var, .price_stddev)' want.jsonl >want1.jsonl
		num_eq got.jsonl want1.jsonl "$g" 1e-9
		# Miller's var comes from sums of powers, which cancel: it is off
		# by up to 1e-9 of mean^2 (52.98 and 52.99: 4.9999999646e-05 for
		# 5.0000000000051e-05); dh-agg's are not
		var_near got.jsonl want.jsonl "$g" 1e-9
		# the comparison has something to compare
		[ "$(jq -s 'map(select(.price_var != "")) | length' want.jsonl)" -ge 10 ] ||
			fail "by $g: fewer than 10 groups with a variance"
		# records, not values: count
		dh-agg -t jsonl -g "$g" -a count e.csv >got.jsonl
		mlr --icsv --ojsonl count -g "$g" e.csv >want.jsonl
		num_eq got.jsonl want.jsonl "$g" 0
	done
	[ "$(wc -l <want.jsonl)" -gt 1000 ] || fail "few users: $(wc -l <want.jsonl)"
}

@test "against GNU datamash (sorted input, -s): count, sum, mean, min, max, svar, sstdev, median, q1, q3, perc:90 of price" {
	command -v datamash >/dev/null || fail "datamash is not installed (scripts/deps)"
	"$GEN" -n 20000 -f jsonl -s 22 >e.jsonl
	local g
	for g in country user_id; do
		# datamash reads numbers only: the rows that have a price
		jq -r --arg g "$g" 'select(.price != null) | [.[$g], .price] | @tsv' e.jsonl |
			datamash --format %.17g -s -g 1 count 2 sum 2 mean 2 min 2 max 2 svar 2 sstdev 2 \
				median 2 q1 2 q3 2 perc:90 2 |
			jq -R -c --arg g "$g" 'split("\t") | {($g): .[0], price_count: .[1], price_sum: .[2],
				price_mean: .[3], price_min: .[4], price_max: .[5], price_var: .[6],
				price_stddev: .[7], price_median: .[8], price_p25: .[9], price_p75: .[10],
				price_p90: .[11]}' >want.jsonl
		capture dh-agg -g "$g" -a count:price,sum:price,mean:price,min:price,max:price,var:price,stddev:price,median:price,p25:price,p75:price,p90:price e.jsonl
		assert_status 0
		jq -c 'select(.price_count > 0)' "$DH_OUT" >got.jsonl
		num_eq got.jsonl want.jsonl "$g" 1e-9
		[ "$(wc -l <want.jsonl)" -ge 15 ] || fail "by $g: only $(wc -l <want.jsonl) groups"
	done
}

@test "exact against awk: count, sum, min and max of an integer field added to generated events" {
	"$GEN" -n 30000 -f jsonl -s 23 >e.jsonl
	# n: integers of both signs, spread by the line number
	awk '{ n = (NR * 7919) % 2000003 - 1000001; sub(/}$/, ",\"n\":" n "}"); print }' e.jsonl >n.jsonl
	jq -r '[.country, .user_id, .n] | @tsv' n.jsonl >n.tsv
	local g col
	for g in country user_id; do
		col=1
		[ "$g" = user_id ] && col=2
		awk -F'\t' -v c="$col" -v g="$g" '{ k = $c; n[k]++; s[k] += $3
			if (!(k in lo) || $3 < lo[k]) lo[k] = $3; if (!(k in hi) || $3 > hi[k]) hi[k] = $3 }
			END { for (k in n) printf "{\"%s\":\"%s\",\"count\":%.0f,\"n_sum\":%.0f,\"n_min\":%.0f,\"n_max\":%.0f}\n",
				g, k, n[k], s[k], lo[k], hi[k] }' n.tsv | sort >want
		capture dh-agg -g "$g" -a count,sum:n,min:n,max:n n.jsonl
		assert_status 0
		sort "$DH_OUT" | cmp - want || fail "by $g:" "$(diff <(sort "$DH_OUT") want | head -n 10)"
	done
	# one group: the total
	capture dh-agg -a count,sum:n n.jsonl
	assert_status 0
	assert_out "$(awk -F'\t' '{ s += $3 } END { printf "{\"count\":%.0f,\"n_sum\":%.0f}", NR, s }' n.tsv)"
}

@test "distinct is exact and approx_distinct within 2% at a million distinct values; exact while small" {
	{
		echo x
		seq 1000000
		seq 1 3 1000000
	} >u.csv
	capture dh-agg -a count,distinct:x,approx_distinct:x u.csv
	assert_status 0
	read -r n d a < <(tail -n 1 "$DH_OUT" | tr , ' ')
	[ "$n" -eq 1333334 ] && [ "$d" -eq 1000000 ] || fail "$out"
	[ "$a" -gt 980000 ] && [ "$a" -lt 1020000 ] || fail "approx_distinct $a: more than 2% off 1000000"
	# numbers, not strings, hash apart from them
	awk 'BEGIN { for (i = 1; i <= 1000000; i++) printf "{\"x\":%d}\n", i }' >u.jsonl
	capture dh-agg -a distinct:x,approx_distinct:x u.jsonl
	assert_status 0
	d=$(jq .x_distinct "$DH_OUT")
	a=$(jq .x_approx_distinct "$DH_OUT")
	[ "$d" -eq 1000000 ] || fail "$out"
	[ "$a" -gt 980000 ] && [ "$a" -lt 1020000 ] || fail "approx_distinct $a: more than 2% off 1000000"
	# small sets are counted exactly (sparse)
	local k
	for k in 1 2 10 100; do
		seq "$k" | awk '{ print "{\"x\":\"v" $1 "\"}"; print "{\"x\":\"v" $1 "\"}" }' >s.jsonl
		capture dh-agg -a approx_distinct:x,distinct:x s.jsonl
		assert_status 0
		assert_out "{\"x_approx_distinct\":$k,\"x_distinct\":$k}"
	done
}

# --- event-time windows ------------------------------------------------------

# generated events (their times go forward with jitter, re-deliveries and
# some minutes-late arrivals) and, for the references, their epoch time,
# country and event_details.position.x (whole or half pixels: sums are
# exact in awk's doubles too), tab-separated
win_events() {
	"$GEN" -n "$1" -f jsonl -s "${2:-11}" >w.jsonl
	jq -r '[.ts_epoch, .country, .event_details.position.x, .user_id] | @tsv' w.jsonl >w.tsv
}

# the references: window start (seconds), key, count, sum of x, as JSON
# lines; dh-agg's output turned into the same
WIN_REF_OUT='{ split(k, a, SUBSEP); printf "{\"ws\":%.0f,\"country\":\"%s\",\"count\":%d,\"x\":%.1f}\n", a[1], a[2], n[k], x[k] }'
win_got() {
	jq -c '{ws: (.window_start | fromdateiso8601), country, count, x: .["event_details.position.x_sum"]}' "$@" |
		jq -c . | sort
}

@test "tumbling and sliding windows, --delay past the largest lateness: each window once, on time, as sort + awk count it" {
	win_events 20000
	local d
	d=$(max_ooo w.tsv)
	[ "$d" -gt 600 ] || fail "the generated events are hardly out of order: $d s"
	capture dh-agg -g country -a count,sum:event_details.position.x --time ts --window tumbling:1h --delay "${d}s" w.jsonl
	assert_status 0
	assert_err_empty
	awk -F'\t' '{ split($1, e, "."); k = (e[1] - e[1] % 3600) SUBSEP $2; n[k]++; x[k] += $3 }
		END { for (k in n) '"$WIN_REF_OUT"' }' w.tsv | jq -c . | sort >want
	win_got "$DH_OUT" | cmp - want || fail "tumbling:" "$(win_got "$DH_OUT" | diff - want | head)"
	[ "$(jq -r '[.pane, .timing] | @tsv' "$DH_OUT" | sort -u)" = $'0\ton_time' ] || fail "panes other than 0 on_time"
	# windows come out as the watermark passes their end: ends never go back
	jq -r .window_end "$DH_OUT" | sort -c || fail "window ends out of order"
	[ "$(jq -r '.window_end' "$DH_OUT" | sort -u | wc -l)" -eq 72 ] || fail "not 72 hours"
	# sliding: every record in the four 1h windows 15m apart that hold it
	capture dh-agg -g country -a count,sum:event_details.position.x --time ts --window sliding:1h:15m --delay "${d}s" w.jsonl
	assert_status 0
	awk -F'\t' '{ split($1, e, "."); s = e[1] - e[1] % 900
		for (i = 0; i < 4; i++) { k = (s - i * 900) SUBSEP $2; n[k]++; x[k] += $3 } }
		END { for (k in n) '"$WIN_REF_OUT"' }' w.tsv | jq -c . | sort >want
	win_got "$DH_OUT" | cmp - want || fail "sliding:" "$(win_got "$DH_OUT" | diff - want | head)"
	jq -r .window_end "$DH_OUT" | sort -c || fail "sliding window ends out of order"
	# a window is [start, end): a record on the end is in the next one
	printf '%s\n' '{"t":0}' '{"t":59}' '{"t":60}' '{"t":119.999}' '{"t":120}' >b.jsonl
	capture dh-agg -a count --time t --window tumbling:1m b.jsonl
	assert_status 0
	[ "$(jq -c .count "$DH_OUT" | tr '\n' ' ')" = "2 2 1 " ] || fail "$out"
}

@test "session windows, --delay past the largest lateness: per user, as sort + awk find them (less than GAP apart)" {
	win_events 20000
	local d
	d=$(max_ooo w.tsv)
	capture dh-agg -g user_id -a count --time ts --window session:30m --delay "${d}s" w.jsonl
	assert_status 0
	awk -F'\t' '{ split($1, e, "."); printf "%s\t%.0f\n", $4, e[1] * 1000 + substr(e[2] "000", 1, 3) }' w.tsv |
		sort -k1,1 -k2,2n |
		awk -F'\t' -v G=1800000 '
			function out() { printf "%s\t%.0f\t%.0f\t%d\n", u, s, l + G, n }
			$1 != u || $2 - l >= G { if (NR > 1) out(); u = $1; s = $2; n = 0 }
			{ l = $2; n++ }
			END { out() }' | sort >want
	jq -r "$JQ_MS"'[.user_id, (.window_start | ms), (.window_end | ms), .count] | @tsv' "$DH_OUT" | sort >got
	cmp got want || fail "sessions:" "$(diff got want | head)"
	[ "$(awk -F'\t' '$4 > 1' want | wc -l)" -gt 1000 ] || fail "few sessions of several records"
	[ "$(cut -f 1 want | uniq -d | wc -l)" -gt 500 ] || fail "few users with several sessions"
	# less than GAP apart is one session, exactly GAP apart two
	printf '%s\n' '{"t":0}' '{"t":599}' '{"t":1199}' '{"t":1799.5}' >g.jsonl
	capture dh-agg -a count --time t --window session:10m g.jsonl
	assert_status 0
	assert_out '{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:19:59Z","count":2,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:19:59Z","window_end":"1970-01-01T00:29:59Z","count":1,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:29:59.5Z","window_end":"1970-01-01T00:39:59.5Z","count":1,"pane":0,"timing":"on_time"}'
}

# late_ref D L: the awk reference for tumbling:1h with --delay D and
# --lateness L (seconds): a record is late when its window's end plus L is
# at or before the watermark, the newest time before it less D. Writes
# the late records' line numbers to late.nr and the windows' final
# results to stdout.
late_ref() {
	awk -F'\t' -v D="$1" -v L="$2" '{ split($1, e, "."); t = e[1] * 1000 + substr(e[2] "000", 1, 3)
		ws = e[1] - e[1] % 3600
		if (NR > 1 && (ws + 3600 + L) * 1000 <= max - D * 1000) { print NR >"late.nr"; next }
		if (NR == 1 || t > max) max = t
		k = ws SUBSEP $2; n[k]++; x[k] += $3 }
		END { for (k in n) '"$WIN_REF_OUT"' }' w.tsv | jq -c . | sort
}

@test "--lateness and --late: late panes update windows; records beyond go to the file, counted; nothing lost" {
	win_events 20000
	local d l nlate
	for d in 0 1800; do
		for l in 0 7200; do
			rm -f late.nr
			# --late empties its file first
			printf 'an earlier run\n' >late.jsonl
			capture dh-agg -g country -a count,sum:event_details.position.x --time ts --window tumbling:1h \
				--delay "${d}s" --lateness "${l}s" --late late.jsonl --stats w.jsonl
			assert_status 0
			late_ref "$d" "$l" >want
			# the last pane of each window and group is the reference
			jq -c -s 'group_by([.window_start, .country]) | .[] | max_by(.pane)' "$DH_OUT" >last.jsonl
			win_got last.jsonl | cmp - want || fail "delay $d lateness $l:" "$(win_got last.jsonl | diff - want | head)"
			# the late records, as they were, in input order
			nlate=$(wc -l <late.nr)
			[ "$nlate" -gt 20 ] || fail "delay $d lateness $l: only $nlate late records"
			awk 'NR == FNR { l[$1]; next } FNR in l' late.nr w.jsonl | cmp - late.jsonl ||
				fail "delay $d lateness $l: the --late file is not the late records"
			[ "$(sed -n 1p "$DH_ERR")" = "dh-agg: $nlate records later than the allowed lateness (written to late.jsonl)" ] ||
				fail "stderr: $err"
			[ "$(sed -n 2p "$DH_ERR" | jq .late)" = "$nlate" ] || fail "--stats: $err"
			# counted plus late is every record
			[ $(($(jq -s 'map(.count) | add' last.jsonl) + nlate)) -eq 20000 ] || fail "records lost"
			# panes of a window are 0, 1, 2...: 0 on time, the rest late
			jq -s -e 'group_by([.window_start, .country]) | all(.[]; [.[].pane] == [range(length)] and
				all(.[]; (.pane == 0) == (.timing == "on_time")))' "$DH_OUT" >/dev/null ||
				fail "delay $d lateness $l: panes"
			if [ "$l" -gt 0 ]; then
				grep -q '"pane":2,"timing":"late"' "$DH_OUT" || fail "no second late pane"
			else
				! grep -q '"timing":"late"' "$DH_OUT" || fail "a late pane with no lateness"
			fi
		done
	done
	# without --late: dropped, and said so
	capture dh-agg -a count --time ts --window tumbling:1h w.jsonl
	assert_status 0
	assert_err_match '^dh-agg: [0-9]+ records later than the allowed lateness \(dropped: keep them with --late FILE\)$'
	# CSV in, CSV late file with its header, the records as they were
	"$GEN" -n 2000 -f csv -s 5 >w.csv
	capture dh-agg -a count --time ts --window tumbling:1h --late late.csv w.csv
	assert_status 0
	[ "$(head -n 1 late.csv)" = "$(head -n 1 w.csv)" ] || fail "no header in late.csv"
	[ "$(tail -n +2 late.csv | wc -l)" -gt 10 ] || fail "few late CSV records"
	tail -n +2 late.csv | grep -vxFf w.csv && fail "a late CSV record changed"
	assert_err "dh-agg: $(($(wc -l <late.csv) - 1)) records later than the allowed lateness (written to late.csv)"
}

@test "JSON members that no key or aggregate reads are still checked, and --late from a JSON array keeps them all" {
	# an error in a member dh-agg does not read: exit 3, located as ever
	printf '{"g":"a","p":1,"x":{"y":1,"y":2}}\n' >dup.jsonl
	capture dh-agg -g g -a sum:p dup.jsonl
	assert_status 3
	assert_err "dh-agg: dup.jsonl:1: invalid JSON at column 29: duplicate object key near '\"y\"'"
	printf '{"g":"a","p":1}\n{"g":"b","p":2,"x":[1,}\n' >bad.jsonl
	capture dh-agg -g g -a sum:p bad.jsonl
	assert_status 3
	assert_err "dh-agg: bad.jsonl:2: invalid JSON at column 23: unexpected token near '}'"
	printf '{"g":"a","p":1,"s":"\xff"}\n' >utf.jsonl
	capture dh-agg -g g -a sum:p utf.jsonl
	assert_status 3
	assert_err_match '^dh-agg: utf\.jsonl:1: invalid JSON'
	# a dotted key finds the nested member and the member named so; a
	# key that only starts like it (gx) is not it
	printf '{"g":{"h":"x"},"p":1}\n{"q":[{"g.h":7}],"g.h":"x","p":2}\n{"gx":{"h":"y"},"g":{"h":"x"},"p":4}\n{"g":{"h":"y"},"p":8,"z":"\\u00e9"}\n' >ok.jsonl
	capture dh-agg -g g.h -a sum:p,count ok.jsonl
	assert_status 0
	assert_out '{"g.h":"x","p_sum":7,"count":3}
{"g.h":"y","p_sum":8,"count":1}'
	# a late record of a JSON array is written from its fields: all of them
	printf '[{"ts":"2026-01-01T00:10:00Z","g":"a","e":{"n":[1,2]}},\n{"ts":"2026-01-01T00:00:00Z","g":"b","e":{"n":[3]},"s":"x y"}]\n' >arr.json
	capture dh-agg -g g -a count --time ts --window tumbling:1m --late late.jsonl arr.json
	assert_status 0
	[ "$(cat late.jsonl)" = '{"ts":"2026-01-01T00:00:00Z","g":"b","e":{"n":[3]},"s":"x y"}' ] ||
		fail "late.jsonl: $(cat late.jsonl)"
}

@test "CSV and TSV columns that no key or aggregate reads are still split and counted; CSV --late keeps them all" {
	# unread columns with quotes, doubled quotes, a quoted comma and a
	# CRLF line: the same results as reading every column
	printf 'x,g,y,p,z\r\n"a,b",k,"say ""hi""",1,\n,k,"",2,"q"\n"",m,1,4,z\n' >q.csv
	capture dh-agg -g g -a sum:p,count q.csv
	assert_status 0
	assert_out 'g,p_sum,count
k,3,2
m,4,1'
	# a row of another number of fields: exit 3 with its count, as ever
	local f
	printf 'g,p,z\nk,1,a\nk,2,a,"b"\n' >rag.csv
	printf 'g,p,z\nk,1\n' >short.csv
	printf 'g,p,z\nk,1,"a"b\n' >badq.csv
	printf 'g\tp\tz\nk\t1\ta\nk\t2\n' >rag.tsv
	for f in rag.csv short.csv badq.csv rag.tsv; do
		capture dh-agg -g g -a sum:p "$f"
		assert_status 3
	done
	capture dh-agg -g g -a sum:p rag.csv
	assert_err "dh-agg: rag.csv:3: expected 3 fields (as the header), found 4"
	capture dh-agg -g g -a sum:p short.csv
	assert_err "dh-agg: short.csv:2: expected 3 fields (as the header), found 2"
	capture dh-agg -g g -a sum:p badq.csv
	assert_err_match '^dh-agg: badq\.csv:2: malformed quoted field'
	capture dh-agg -g g -a sum:p rag.tsv
	assert_err "dh-agg: rag.tsv:3: expected 3 fields (as the header), found 2"
	# a late CSV record is written from its fields: all of them
	printf 'ts,g,e\n2026-01-01T00:10:00Z,a,"x,1"\n2026-01-01T00:00:00Z,b,"y ""2"""\n' >l.csv
	capture dh-agg -g g -a count --time ts --window tumbling:1m --late late.csv l.csv
	assert_status 0
	[ "$(cat late.csv)" = 'ts,g,e
2026-01-01T00:00:00Z,b,"y ""2"""' ] || fail "late.csv: $(cat late.csv)"
}

@test "--discard panes add up to the --accumulate final pane; --retract's signed panes leave exactly the final ones" {
	win_events 20000
	local a='count,sum:event_details.position.x' w='--time ts --window tumbling:1h --lateness 2h'
	# shellcheck disable=SC2086 # w is words
	dh-agg -g country -a "$a" $w w.jsonl >acc.jsonl 2>/dev/null
	# shellcheck disable=SC2086
	dh-agg -g country -a "$a" $w --discard w.jsonl >dis.jsonl 2>/dev/null
	# shellcheck disable=SC2086
	dh-agg -g country -a "$a" $w --retract w.jsonl >ret.jsonl 2>/dev/null
	jq -c -s 'group_by([.window_start, .country]) | .[] | max_by(.pane)' acc.jsonl | win_got >final
	[ "$(jq -s 'map(select(.pane > 0)) | length' acc.jsonl)" -gt 100 ] || fail "few late panes"
	# discard: each pane only what came since the last one
	jq -c -s 'group_by([.window_start, .country]) | .[] | {window_start: .[0].window_start, country: .[0].country,
		count: (map(.count) | add), "event_details.position.x_sum": (map(.["event_details.position.x_sum"]) | add)}' \
		dis.jsonl | win_got | cmp - final || fail "discard panes do not add up to the final pane"
	[ "$(wc -l <dis.jsonl)" -eq "$(wc -l <acc.jsonl)" ] || fail "discard and accumulate fire different panes"
	# retract: the sum of count * (_retract ? -1 : 1) over a window's lines
	jq -c -s 'group_by([.window_start, .country]) | .[] | {window_start: .[0].window_start, country: .[0].country,
		count: (map(.count * (if ._retract then -1 else 1 end)) | add),
		"event_details.position.x_sum": (map(.["event_details.position.x_sum"] * (if ._retract then -1 else 1 end)) | add)}' \
		ret.jsonl | win_got | cmp - final || fail "retracted panes do not add up to the final pane"
	# each retraction repeats the pane before it, which it names
	jq -s -e 'group_by([.window_start, .country]) | all(.[];
		. as $p | all(range(1; length); if $p[.]._retract then
			($p[. - 1] | del(._retract, .timing)) == ($p[.] | del(._retract, .timing)) and ($p[. - 1]._retract | not)
		else true end))' ret.jsonl >/dev/null || fail "a retraction is not the pane before it"
	# without the retractions, retract's output is accumulate's
	jq -c 'select(._retract | not) | del(._retract)' ret.jsonl | cmp - acc.jsonl ||
		fail "retract's new panes differ from accumulate's"
	[ "$(grep -c '"_retract":true' ret.jsonl)" -eq "$(jq -s 'map(select(.pane > 0)) | length' acc.jsonl)" ] ||
		fail "not one retraction per late pane"
}

@test "session windows with a lateness past the largest delay: late records bridge sessions; what --retract leaves is sort + awk's sessions" {
	win_events 20000
	capture dh-agg -g user_id -a count --time ts --window session:30m --lateness 30h --retract w.jsonl
	assert_status 0
	assert_err_empty
	awk -F'\t' '{ split($1, e, "."); printf "%s\t%.0f\n", $4, e[1] * 1000 + substr(e[2] "000", 1, 3) }' w.tsv |
		sort -k1,1 -k2,2n |
		awk -F'\t' -v G=1800000 '
			function out() { printf "%s\t%.0f\t%.0f\t%d\n", u, s, l + G, n }
			$1 != u || $2 - l >= G { if (NR > 1) out(); u = $1; s = $2; n = 0 }
			{ l = $2; n++ }
			END { out() }' | sort >want
	# every line adds, every retraction takes away: what is left, once each
	jq -r "$JQ_MS"'[(if ._retract then -1 else 1 end), .user_id, (.window_start | ms), (.window_end | ms), .count] | @tsv' \
		"$DH_OUT" | awk -F'\t' -v OFS='\t' '{ k = $2 OFS $3 OFS $4 OFS $5; n[k] += $1 }
			END { for (k in n) if (n[k] == 1) print k; else if (n[k] != 0) print "BAD", k, n[k] }' | sort >got
	cmp got want || fail "live sessions:" "$(diff got want | head)"
	[ "$(grep -c '"_retract":true' "$DH_OUT")" -gt 100 ] || fail "few retractions"
	# a retracted session that a late record merged with another: both go
	printf '%s\n' '{"t":0}' '{"t":1000}' '{"t":2000}' '{"t":500}' '{"t":5000}' >s.jsonl
	capture dh-agg -a count --time t --window session:10m --lateness 1h --retract s.jsonl
	assert_status 0
	assert_out '{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:10:00Z","count":1,"pane":0,"timing":"on_time","_retract":false}
{"window_start":"1970-01-01T00:16:40Z","window_end":"1970-01-01T00:26:40Z","count":1,"pane":0,"timing":"on_time","_retract":false}
{"window_start":"1970-01-01T00:16:40Z","window_end":"1970-01-01T00:26:40Z","count":1,"pane":0,"timing":"late","_retract":true}
{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:10:00Z","count":1,"pane":0,"timing":"late","_retract":true}
{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:26:40Z","count":3,"pane":1,"timing":"late","_retract":false}
{"window_start":"1970-01-01T00:33:20Z","window_end":"1970-01-01T00:43:20Z","count":1,"pane":0,"timing":"on_time","_retract":false}
{"window_start":"1970-01-01T01:23:20Z","window_end":"1970-01-01T01:33:20Z","count":1,"pane":0,"timing":"on_time","_retract":false}'
	capture dh-agg -a count --time t --window session:10m --lateness 1h s.jsonl
	assert_status 0
	assert_out '{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:10:00Z","count":1,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:16:40Z","window_end":"1970-01-01T00:26:40Z","count":1,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:26:40Z","count":3,"pane":1,"timing":"late"}
{"window_start":"1970-01-01T00:33:20Z","window_end":"1970-01-01T00:43:20Z","count":1,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T01:23:20Z","window_end":"1970-01-01T01:33:20Z","count":1,"pane":0,"timing":"on_time"}'
}

@test "sliding windows: a late record counts in the windows still within the lateness, is late only when all have passed" {
	# 10m windows every 5m. At t=1500 the watermark has passed [600,1200)
	# (+5m lateness: 1500) and [900,1500): t=1000 and 1100 count only in
	# [900,1500), new and already past its end: pane 0 late, then pane 1;
	# t=100's windows [-300,300) and [0,600) have both passed: late
	printf '%s\n' '{"t":0,"v":1}' '{"t":420,"v":2}' '{"t":600,"v":4}' '{"t":1500,"v":8}' \
		'{"t":1000,"v":16}' '{"t":1100,"v":32}' '{"t":100,"v":64}' >sl.jsonl
	capture dh-agg -a count,sum:v --time t --window sliding:10m:5m --lateness 5m --late l.jsonl sl.jsonl
	assert_status 0
	assert_out '{"window_start":"1969-12-31T23:55:00Z","window_end":"1970-01-01T00:05:00Z","count":1,"v_sum":1,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:10:00Z","count":2,"v_sum":3,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:05:00Z","window_end":"1970-01-01T00:15:00Z","count":2,"v_sum":6,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:10:00Z","window_end":"1970-01-01T00:20:00Z","count":1,"v_sum":4,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:15:00Z","window_end":"1970-01-01T00:25:00Z","count":1,"v_sum":16,"pane":0,"timing":"late"}
{"window_start":"1970-01-01T00:15:00Z","window_end":"1970-01-01T00:25:00Z","count":2,"v_sum":48,"pane":1,"timing":"late"}
{"window_start":"1970-01-01T00:20:00Z","window_end":"1970-01-01T00:30:00Z","count":1,"v_sum":8,"pane":0,"timing":"on_time"}
{"window_start":"1970-01-01T00:25:00Z","window_end":"1970-01-01T00:35:00Z","count":1,"v_sum":8,"pane":0,"timing":"on_time"}'
	assert_err 'dh-agg: 1 record later than the allowed lateness (written to l.jsonl)'
	[ "$(cat l.jsonl)" = '{"t":100,"v":64}' ] || fail "late: $(cat l.jsonl)"
	capture dh-agg -a count,sum:v --time t --window sliding:10m:5m --lateness 5m --discard sl.jsonl
	assert_status 0
	[ "$(sed -n 6p "$DH_OUT")" = '{"window_start":"1970-01-01T00:15:00Z","window_end":"1970-01-01T00:25:00Z","count":1,"v_sum":32,"pane":1,"timing":"late"}' ] ||
		fail "discard: $out"
	# CSV output of windows, with _retract as true/false
	capture dh-agg -a count --time t --window tumbling:10m --lateness 1h --retract -t csv sl.jsonl
	assert_status 0
	assert_out 'window_start,window_end,count,pane,timing,_retract
1970-01-01T00:00:00Z,1970-01-01T00:10:00Z,2,0,on_time,false
1970-01-01T00:10:00Z,1970-01-01T00:20:00Z,1,0,on_time,false
1970-01-01T00:10:00Z,1970-01-01T00:20:00Z,1,0,late,true
1970-01-01T00:10:00Z,1970-01-01T00:20:00Z,2,1,late,false
1970-01-01T00:10:00Z,1970-01-01T00:20:00Z,2,1,late,true
1970-01-01T00:10:00Z,1970-01-01T00:20:00Z,3,2,late,false
1970-01-01T00:00:00Z,1970-01-01T00:10:00Z,2,0,late,true
1970-01-01T00:00:00Z,1970-01-01T00:10:00Z,3,1,late,false
1970-01-01T00:20:00Z,1970-01-01T00:30:00Z,1,0,on_time,false'
}

@test "streaming: a window's result is out as soon as the watermark passes it, while the input is still open" {
	mkfifo in.fifo out.fifo
	# (bats keeps descriptor 3 for itself: the background job must not hold it)
	dh-agg -a count --time t --window tumbling:1m --delay 30s <in.fifo >out.fifo 2>err 3>&- &
	pid=$!
	exec 7>in.fifo 8<out.fifo
	printf '{"t":60}\n{"t":70}\n{"t":119}\n{"t":120}\n{"t":149}\n' >&7
	# the watermark is 149 - 30 = 119: [60, 120) is still open
	local line
	if read -r -t 1 line <&8; then
		fail "a window before the watermark reached its end: $line"
	fi
	printf '{"t":150}\n' >&7
	read -r -t 10 line <&8 || fail "no result within 10 s of the watermark passing the window"
	[ "$line" = '{"window_start":"1970-01-01T00:01:00Z","window_end":"1970-01-01T00:02:00Z","count":3,"pane":0,"timing":"on_time"}' ] ||
		fail "got: $line"
	kill -0 "$pid" || fail "dh-agg is gone before its input ended"
	# the rest at the end of input
	exec 7>&-
	read -r -t 10 line <&8 || fail "no last window"
	[ "$line" = '{"window_start":"1970-01-01T00:02:00Z","window_end":"1970-01-01T00:03:00Z","count":3,"pane":0,"timing":"on_time"}' ] ||
		fail "got: $line"
	exec 8<&-
	wait "$pid"
	[ ! -s err ] || fail "stderr: $(cat err)"
	# sessions too: [100, 110) closes once an event time reaches 110
	dh-agg -g u -a count --time t --window session:10s <in.fifo >out.fifo 3>&- &
	pid=$!
	exec 7>in.fifo 8<out.fifo
	printf '{"u":"a","t":100}\n{"u":"b","t":105}\n{"u":"b","t":110}\n' >&7
	read -r -t 10 line <&8 || fail "no session within 10 s"
	[ "$line" = '{"window_start":"1970-01-01T00:01:40Z","window_end":"1970-01-01T00:01:50Z","u":"a","count":1,"pane":0,"timing":"on_time"}' ] ||
		fail "got: $line"
	kill -0 "$pid" || fail "dh-agg is gone before its input ended"
	exec 7>&-
	cat <&8 >rest
	exec 8<&-
	wait "$pid"
	[ "$(jq -c '[.u, .count]' rest | tr '\n' ' ')" = '["b",2] ' ] || fail "at the end: $(cat rest)"
}

# --- partial and merged states ----------------------------------------------

MERGE_AGGS=count,sum:price,min:price,max:price,mean:price,distinct:user_id,median:price,p90:price,var:price,stddev:price,first:url,last:url,approx_distinct:user_id,nulls:price,count:price,sum:event_details.position.y,min:event_details.position.y

# merge_eq GOT WANT KEYS: equal groups, exactly but var and stddev (1e-12
# relative)
merge_eq() {
	cmp -s <(jq -S -c 'del(.price_var, .price_stddev)' "$1" | sort) \
		<(jq -S -c 'del(.price_var, .price_stddev)' "$2" | sort) ||
		fail "$1 differs from $2:" "$(diff <(jq -S -c 'del(.price_var, .price_stddev)' "$1" | sort) \
			<(jq -S -c 'del(.price_var, .price_stddev)' "$2" | sort) | head -n 6)"
	if grep -q '"price_var"' "$2"; then
		jq -c "{$3, price_var, price_stddev}" "$1" >"$1.var"
		jq -c "{$3, price_var, price_stddev}" "$2" >"$2.var"
		num_eq "$1.var" "$2.var" "$3" 1e-12
	fi
}

@test "--partial on 1..8 shards, --merge in order and reversed: a single run's results" {
	"$GEN" -n 20000 -f jsonl -s 31 >e.jsonl
	dh-agg -g country -a "$MERGE_AGGS" e.jsonl >single.jsonl
	local k
	for k in 1 2 3 4 5 6 7 8; do
		rm -f sh.* ./*.state
		split -n "l/$k" -d e.jsonl sh.
		for f in sh.*; do
			dh-agg -g country -a "$MERGE_AGGS" --partial "$f" >"$f.state"
		done
		[ "$(cat ./*.state | wc -l)" -ge "$((k * 15))" ] || fail "$k shards: few states"
		capture dh-agg --merge sh.*.state
		assert_status 0
		assert_err_empty
		mv "$DH_OUT" merged.jsonl
		merge_eq merged.jsonl single.jsonl country
		# in shard order, first and last and the order of groups too
		cmp <(jq -c 'del(.price_var, .price_stddev)' merged.jsonl) <(jq -c 'del(.price_var, .price_stddev)' single.jsonl) ||
			fail "$k shards: order or first/last differ"
		# reversed: the same but first and last
		# shellcheck disable=SC2046 # file names without spaces
		dh-agg --merge $(ls -r sh.*.state) | jq -c 'del(.url_first, .url_last)' >rmerged.jsonl
		jq -c 'del(.url_first, .url_last)' single.jsonl >single2.jsonl
		merge_eq rmerged.jsonl single2.jsonl country
	done
	# a saved state is one self-describing JSON line per group
	jq -e -s 'all(.[]; .dh_agg == 1 and .by == ["country"] and (.aggs | startswith("count,sum:price")) and
		(.key | length) == 1 and (.state | type) == "object")' sh.00.state >/dev/null || fail "$(head -n 1 sh.00.state)"
	# states on stdin (-) and in files
	capture dh-agg --merge - sh.01.state <sh.00.state
	assert_status 0
	capture dh-agg --merge sh.00.state sh.01.state
	cmp -s "$DH_OUT" <(cat sh.00.state sh.01.state | dh-agg --merge) || fail "stdin merge differs"
	# -t for merged results
	capture dh-agg --merge -t csv sh.*.state
	assert_status 0
	dh-agg -g country -a "$MERGE_AGGS" -t csv e.jsonl >single.csv
	[ "$(head -n 1 "$DH_OUT")" = "$(head -n 1 single.csv)" ] || fail "CSV merge header: $(head -n 1 "$DH_OUT")"
	dh-convert -t jsonl "$DH_OUT" >m.jsonl
	dh-convert -t jsonl single.csv >s.jsonl
	num_eq m.jsonl s.jsonl country 1e-12
}

@test "--partial: a group value or first/last not UTF-8 is exit 3 naming the field, never dropped" {
	printf 'k,v\n\377,1\nb,2\n' >key.csv
	capture dh-agg -g k -a count --partial key.csv
	assert_status 3
	assert_err 'dh-agg: field "k": invalid UTF-8 at byte 1 (a saved state is JSON: its values must be UTF-8)'
	printf 'k,v\na,\376\nb,2\n' >val.csv
	capture dh-agg -g k -a first:v --partial val.csv
	assert_status 3
	assert_err 'dh-agg: field "v": invalid UTF-8 at byte 1 (a saved state is JSON: its values must be UTF-8)'
	# CSV out keeps the bytes as they are
	capture dh-agg -g k -a first:v -t csv val.csv
	assert_status 0
	[ "$(sed -n 2p "$DH_OUT" | od -An -tx1 | tr -d ' ')" = "612cfe0a" ] || fail "$(od -c "$DH_OUT")"
}

@test "Hadoop Streaming shape: mapper --partial per shard, sort, reducer --merge; --merge --partial then --merge again" {
	"$GEN" -n 20000 -f csv -s 32 >e.csv
	local a=count,sum:price,min:price,max:price,mean:price,distinct:user_id,median:price,p90:price,var:price,stddev:price,approx_distinct:user_id
	dh-agg -g country -a "$a" -t jsonl e.csv >single.jsonl
	# shards of whole CSV records, each with the header
	tail -n +2 e.csv >body
	split -n l/4 -d body part.
	for f in part.0?; do
		{ head -n 1 e.csv; cat "$f"; } | dh-agg -f csv -g country -a "$a" --partial
	done | sort | dh-agg --merge >reduced.jsonl
	merge_eq reduced.jsonl single.jsonl country
	# a combiner stage: merged states merge again to the same
	for f in part.0?; do
		{ head -n 1 e.csv; cat "$f"; } | dh-agg -f csv -g country -a "$a" --partial >"$f.state"
	done
	dh-agg --merge --partial part.00.state part.01.state >c1.state
	dh-agg --merge --partial part.02.state part.03.state >c2.state
	jq -e -s 'all(.[]; .dh_agg == 1)' c1.state >/dev/null || fail "merged states are not states: $(head -n 1 c1.state)"
	dh-agg --merge c1.state c2.state >twice.jsonl
	dh-agg --merge part.0?.state >once.jsonl
	merge_eq twice.jsonl once.jsonl country
	merge_eq twice.jsonl single.jsonl country
	# merging a state with itself doubles counts and sums
	capture dh-agg --merge c1.state c1.state
	assert_status 0
	dh-agg --merge c1.state >one.jsonl
	jq -s -e --slurpfile one one.jsonl '[.[] | {country, count, price_sum}] ==
		[$one[] | {country, count: (.count * 2), price_sum: (.price_sum * 2)}]' "$DH_OUT" >/dev/null ||
		fail "self-merge: $out"
}

@test "a windowed saved state is one JSON line naming its window; --merge reads it back" {
	printf '{"ts":"2026-11-20T10:00:00Z"}\n{"ts":"2026-11-20T10:30:00.5Z"}\n' >t.jsonl
	capture dh-agg -a count --time ts --window tumbling:1h --partial t.jsonl
	assert_status 0
	[ "$(jq -c '[.dh_agg, .by, .aggs, .window, .window_start, .window_end, .key, .state.n]' "$DH_OUT")" = \
		'[1,[],"count","tumbling:1h","2026-11-20T10:00:00Z","2026-11-20T11:00:00Z",[],2]' ] || fail "$out"
	cp "$DH_OUT" t.state
	capture dh-agg --merge t.state
	assert_status 0
	assert_out '{"window_start":"2026-11-20T10:00:00Z","window_end":"2026-11-20T11:00:00Z","count":2,"pane":0,"timing":"on_time"}'
	# with --partial every record counts: no watermark, nothing late
	printf '{"ts":100}\n{"ts":7300}\n{"ts":50}\n' >l.jsonl
	capture dh-agg -a count --time ts --window session:10s --partial l.jsonl
	assert_status 0
	assert_err_empty
	[ "$(jq -s -c 'map([.window_start, .state.n]) | sort' "$DH_OUT")" = \
		'[["1970-01-01T00:00:50Z",1],["1970-01-01T00:01:40Z",1],["1970-01-01T02:01:40Z",1]]' ] || fail "$out"
}

@test "windowed states: tumbling, sliding and per-user sessions on 2 and 8 shards merge (either order) to a single run's windows" {
	"$GEN" -n 20000 -f jsonl -s 33 >e.jsonl
	jq -r '[.ts_epoch] | @tsv' e.jsonl >e.tsv
	local d w g k a=count,sum:price,min:price,max:price,mean:price,distinct:user_id,median:price,p90:price
	d=$(max_ooo e.tsv)
	for w in "tumbling:1h country" "sliding:1h:15m country" "session:30m user_id"; do
		g=${w#* }
		w=${w% *}
		# a single run with no late record: every record counts, as in --partial
		dh-agg -g "$g" -a "$a" --time ts --window "$w" --delay "${d}s" e.jsonl |
			jq -c 'del(.pane, .timing)' >single.jsonl
		for k in 2 8; do
			rm -f sh.*
			# round robin: a session's records in every shard
			split -n "r/$k" -d e.jsonl sh.
			for f in sh.*; do
				dh-agg -g "$g" -a "$a" --time ts --window "$w" --partial "$f" >"$f.state"
			done
			# 2 shards in order, 8 reversed
			# shellcheck disable=SC2046 # file names without spaces
			capture dh-agg --merge $(ls $([ "$k" -eq 8 ] && echo -r) sh.*.state)
			assert_status 0
			jq -e -s 'all(.[]; .pane == 0 and .timing == "on_time")' "$DH_OUT" >/dev/null ||
				fail "$w: merged windows are not one pane 0 on_time each"
			jq -c 'del(.pane, .timing)' "$DH_OUT" >merged.jsonl
			merge_eq merged.jsonl single.jsonl "window_start,window_end,$g"
		done
	done
}

@test "bad saved states: exit 3 naming file and line, or rejects; the first line sets groups, aggregators and window" {
	printf '{"g":"a","x":1}\n{"g":"b","x":2}\n' >s.jsonl
	dh-agg -g g -a sum:x --partial s.jsonl >a.state
	dh-agg -g g -a count --partial s.jsonl >b.state
	dh-agg -g h -a sum:x --partial s.jsonl >c.state
	capture dh-agg --merge a.state b.state
	assert_status 3
	assert_out_empty
	assert_err 'dh-agg: b.state:1: a saved state of other groups, aggregators or window than the first (-a sum:x)'
	capture dh-agg --merge a.state c.state
	assert_status 3
	assert_err 'dh-agg: c.state:1: a saved state of other groups, aggregators or window than the first (-a sum:x)'
	printf 'hello\n' >h.state
	capture dh-agg --merge h.state a.state
	assert_status 3
	assert_err "dh-agg: h.state:1: not a dh-agg saved state: '[' or '{' expected near 'hello'"
	capture dh-agg --merge a.state h.state
	assert_status 3
	assert_err "dh-agg: h.state:1: not a dh-agg saved state: '[' or '{' expected near 'hello'"
	sed 's/"dh_agg":1/"dh_agg":2/' a.state >v2.state
	capture dh-agg --merge v2.state
	assert_status 3
	assert_err 'dh-agg: v2.state:1: a saved state of version 2: this dh-agg reads version 1'
	printf '{"dh_agg":1}\n' >x.state
	capture dh-agg --merge x.state
	assert_status 3
	assert_err 'dh-agg: x.state:1: not a dh-agg saved state: no "by", "aggs" or "window"'
	printf '[1]\n' >y.state
	capture dh-agg --merge a.state y.state
	assert_status 3
	assert_err 'dh-agg: y.state:1: not a dh-agg saved state: no "dh_agg" version (written by dh-agg --partial?)'
	sed 's/"isum":"1"/"isum":"q"/' a.state >z.state
	grep -q '"isum":"q"' z.state || fail "no isum in $(cat a.state)"
	capture dh-agg --merge z.state
	assert_status 3
	assert_err 'dh-agg: z.state:1: not a dh-agg saved state: a bad saved state of field "x"'
	sed 's/"key":\["a"\]/"key":[]/' a.state >k.state
	capture dh-agg --merge k.state
	assert_status 3
	assert_err 'dh-agg: k.state:1: not a dh-agg saved state: "key" is not an array of the group values'
	# --rejects: bad lines aside, the rest merged
	capture dh-agg --merge --rejects r.jsonl a.state b.state h.state
	assert_status 0
	assert_out $'{"g":"a","x_sum":1}\n{"g":"b","x_sum":2}'
	assert_err 'dh-agg: 3 bad records written to r.jsonl'
	[ "$(jq -c '[.file, .line]' r.jsonl | tr '\n' ' ')" = '["b.state",1] ["b.state",2] ["h.state",1] ' ] ||
		fail "$(cat r.jsonl)"
	# merged integer sums overflow as single runs do
	printf '{"g":"a","x":9223372036854775807}\n' >big.jsonl
	dh-agg -g g -a sum:x --partial big.jsonl >big.state
	capture dh-agg --merge big.state a.state
	assert_status 3
	assert_out_empty
	assert_err 'dh-agg: field "x": the integer sum overflows 64 bits: 9223372036854775808'
	# and only the total counts: merged states past 64 bits merge on
	# (MAX + 1 + MAX, then - MAX - MAX: 1)
	dh-agg --merge --partial big.state a.state big.state >m.state
	printf '{"g":"a","x":-9223372036854775807}\n{"g":"a","x":-9223372036854775807}\n' >neg.jsonl
	dh-agg -g g -a sum:x --partial neg.jsonl >neg.state
	capture dh-agg --merge m.state neg.state
	assert_status 0
	assert_out $'{"g":"a","x_sum":1}\n{"g":"b","x_sum":2}'
	# nothing to merge is no output
	capture dh-agg --merge </dev/null
	assert_status 0
	assert_out_empty
}

@test "a saved state of another version is named so on any line, not only the first" {
	printf '{"g":"a","x":1}\n' >s.jsonl
	dh-agg -g g -a sum:x --partial s.jsonl >a.state
	sed 's/"dh_agg":1/"dh_agg":2/' a.state >v2.state
	capture dh-agg --merge a.state v2.state
	assert_status 3
	assert_err 'dh-agg: v2.state:1: a saved state of version 2: this dh-agg reads version 1'
}

# --- memory, parallel chunks ------------------------------------------------

@test "memory grows with groups, not rows: peak RSS flat from 200k to 2M rows grouped by country" {
	skip_if_sanitized dh-agg
	local n kib
	for n in 200000 2000000; do
		# from a pipe: no file mapping counts
		"$GEN" -n "$n" -f csv -s 7 |
			"$RSS" "stats.$n" dh-agg -f csv -g country -a count,sum:price,mean:price,stddev:price >"o.$n"
		[ "$(wc -l <"o.$n")" -ge 16 ] || fail "$n rows: $(cat "o.$n")"
	done
	read -r _ kib <stats.200000
	read -r _ kib2 <stats.2000000
	[ "$kib2" -lt $((kib * 5 / 4 + 4096)) ] || fail "peak RSS ${kib} KiB at 200k rows, ${kib2} KiB at 2M"
	[ "$(awk -F, 'NR > 1 { n += $2 } END { print n }' o.2000000)" -eq 2000000 ] || fail "counts"
}

@test "in parallel chunks (DH_THREADS) results, rejects and late records are a sequential run's" {
	"$GEN" -n 20000 -f jsonl -s 34 >e.jsonl
	# bad lines and bad numbers, spread through the chunks
	awk 'NR % 997 == 0 { print "{\"bad\":" } NR % 1499 == 0 { sub(/"price":null/, "\"price\":\"1x\"") } 1' e.jsonl >in.jsonl
	local args a=count,sum:price,min:price,max:price,mean:price,var:price,stddev:price,median:price,p90:price,first:url,last:url,distinct:user_id,approx_distinct:user_id,nulls:price
	for args in "-g country" "-g user_id" "-g country --time ts --window tumbling:1h --late L" \
		"-g user_id --time ts --window session:30m --lateness 1h --retract --late L" \
		"-g country --time ts --window sliding:1h:10m --delay 2h --late L"; do
		rm -f r L
		# shellcheck disable=SC2086 # args are words
		DH_THREADS=1 dh-agg $args -a "$a" --rejects r in.jsonl >o1 2>e1
		mv r r1
		[ ! -e L ] || mv L L1
		# shellcheck disable=SC2086
		DH_THREADS=2 dh-agg $args -a "$a" --rejects r in.jsonl >o2 2>e2
		mv r r2
		[ ! -e L ] || mv L L2
		cmp r1 r2 || fail "$args: rejects differ"
		cmp e1 e2 || fail "$args: stderr differs"
		[ "$(wc -l <r1)" -gt 20 ] || fail "$args: only $(wc -l <r1) rejects"
		[ ! -e L1 ] || cmp L1 L2 || fail "$args: late records differ"
		# exactly, but var and stddev (to 1e-12, as dh-agg(1) promises)
		cmp <(jq -c 'del(.price_var, .price_stddev)' o1) <(jq -c 'del(.price_var, .price_stddev)' o2) ||
			fail "$args: results differ in parallel"
		jq -c '{country, user_id, window_start, window_end, pane, _retract, price_var, price_stddev}' o1 >v1
		jq -c '{country, user_id, window_start, window_end, pane, _retract, price_var, price_stddev}' o2 >v2
		num_eq v2 v1 country,user_id,window_start,window_end,pane,_retract 1e-12
	done
	# CSV too
	"$GEN" -n 20000 -f csv -s 34 >e.csv
	DH_THREADS=1 dh-agg -g user_id -a count,sum:price,first:url,last:url e.csv >o1
	DH_THREADS=2 dh-agg -g user_id -a count,sum:price,first:url,last:url e.csv >o2
	cmp o1 o2 || fail "CSV results differ in parallel"
	# more than 4096 groups: results are made on both threads and
	# written in order; --partial states are the same bytes however
	# the records were shared out
	for t in csv jsonl; do
		DH_THREADS=1 dh-agg -g url -a count,sum:price,mean:price,stddev:price,first:ts,last:ts -t "$t" e.jsonl >o1
		DH_THREADS=2 dh-agg -g url -a count,sum:price,mean:price,stddev:price,first:ts,last:ts -t "$t" e.jsonl >o2
		[ "$(wc -l <o1)" -gt 5000 ] || fail "only $(wc -l <o1) url groups"
		cmp o1 o2 || fail "-t $t: results of many groups differ in parallel"
	done
	for args in "-g url" "-g user_id" "-g country --time ts --window tumbling:1h"; do
		# shellcheck disable=SC2086 # args are words
		DH_THREADS=1 dh-agg $args -a count,sum:price,stddev:price,min:price,median:price,distinct:user_id --partial e.jsonl >o1
		# shellcheck disable=SC2086
		DH_THREADS=2 dh-agg $args -a count,sum:price,stddev:price,min:price,median:price,distinct:user_id --partial e.jsonl >o2
		cmp o1 o2 || fail "$args: --partial states differ in parallel"
		# read back and written again, alone: the same bytes
		DH_THREADS=2 dh-agg --merge --partial o2 | cmp - o1 || fail "$args: --merge --partial changed the states"
	done
	# a result that cannot be written, in the second thread's share:
	# the same exit and message
	{
		echo g,v
		seq 1 6000 | sed 's/.*/k&,1/'
		printf 'x\377,2\n'
		seq 6001 9000 | sed 's/.*/k&,1/'
	} >u.csv
	capture env DH_THREADS=1 dh-agg -g g -a count -t jsonl u.csv
	assert_status 3
	assert_err 'dh-agg: cannot write a result: field "g": invalid UTF-8 at byte 2 (JSON output must be UTF-8)'
	capture env DH_THREADS=2 dh-agg -g g -a count -t jsonl u.csv
	assert_status 3
	assert_err 'dh-agg: cannot write a result: field "g": invalid UTF-8 at byte 2 (JSON output must be UTF-8)'
	# aggregates of numbers only are counted a few records late (a
	# pipeline, window.c): every record still counts, in both paths
	for f in e.jsonl e.csv; do
		DH_THREADS=1 dh-agg -g user_id -a count,sum:price,min:price,max:price,stddev:price,median:price,nulls:price -t csv "$f" >o1
		DH_THREADS=2 dh-agg -g user_id -a count,sum:price,min:price,max:price,stddev:price,median:price,nulls:price -t csv "$f" >o2
		cmp o1 o2 || fail "$f: numbers-only results differ in parallel"
		[ "$(awk -F, 'NR > 1 { n += $2 } END { print n }' o2)" -eq 20000 ] || fail "$f: counts"
	done
}

@test "an integer sum that overflows only on the way is no error, with or without DH_THREADS" {
	# MAX, then zeros enough for several chunks, then 1 and -2: in one
	# thread the running sum passes MAX, in chunks it need not
	{
		echo '{"n":9223372036854775807}'
		awk 'BEGIN { for (i = 0; i < 400000; i++) print "{\"n\":0}" }'
		echo '{"n":1}'
		echo '{"n":-2}'
	} >ov.jsonl
	local t
	for t in 1 2 3; do
		DH_THREADS=$t capture dh-agg -a sum:n,count ov.jsonl
		assert_status 0
		assert_out '{"n_sum":9223372036854775806,"count":400003}'
	done
	echo '{"n":2}' >>ov.jsonl
	for t in 1 2 3; do
		DH_THREADS=$t capture dh-agg -a sum:n ov.jsonl
		assert_status 3
		assert_err 'dh-agg: field "n": the integer sum overflows 64 bits: 9223372036854775808'
	done
}

# --- conformance --------------------------------------------------------------

@test "JSONTestSuite: every file is aggregated (exit 0) or refused (exit 3, file:line:), never a crash; y_ objects grouped by their first key" {
	local f b rc n=0 failed='' k
	for f in "$TP"/*.json; do
		n=$((n + 1))
		rc=0
		timeout "$DH_HANG" dh-agg -f jsonl -a count,distinct:a,first:a,count:a "$f" >out 2>err || rc=$?
		case $rc in
		0) [ ! -s err ] || failed+="  ${f##*/}: exit 0 but stderr: $(head -n 1 err)"$'\n' ;;
		3) [[ $(head -n 1 err) == "dh-agg: $f:"[0-9]* ]] ||
			failed+="  ${f##*/}: exit 3, stderr: $(head -n 1 err)"$'\n' ;;
		*) failed+="  ${f##*/}: exit $rc $(head -c 200 err)"$'\n' ;;
		esac
	done
	[ "$n" -eq 318 ] || fail "expected 318 files in $TP, found $n"
	for f in "$TP"/y_*.json; do
		b=${f##*/}
		[ "$(jq -r type "$f" 2>/dev/null)" = object ] || continue
		[ "$(head -c -1 "$f" | tr -cd '\n' | wc -c)" -eq 0 ] || continue
		k=$(jq -r 'keys_unsorted[0] // ""' "$f")
		rc=0
		case $b in
		y_object_duplicated_key* | y_object_escaped_null_in_key.json)
			# refused, as dh-convert refuses them (DESIGN §3)
			dh-agg -f jsonl -a count "$f" >out 2>err || rc=$?
			[ "$rc" -eq 3 ] || failed+="  $b: exit $rc, not 3"$'\n'
			continue ;;
		esac
		if [ -z "$k" ]; then
			dh-agg -f jsonl -a count "$f" >out 2>err || rc=$?
			[ "$rc" -eq 0 ] && [ "$(cat out)" = '{"count":1}' ] || failed+="  $b: exit $rc: $(cat out err)"$'\n'
			continue
		fi
		dh-agg -f jsonl -g "$k" -a "count,first:$k,distinct:$k" "$f" >out 2>err || rc=$?
		if [ "$rc" -ne 0 ]; then
			failed+="  $b: exit $rc: $(head -n 1 err)"$'\n'
		elif ! jq -e -s --arg k "$k" --slurpfile in "$f" 'length == 1 and .[0].count == 1 and
			.[0][$k] == $in[0][$k] and .[0][$k + "_first"] == $in[0][$k] and .[0][$k + "_distinct"] == 1' \
			out >/dev/null; then
			failed+="  $b: $(cat out)"$'\n'
		fi
	done
	[ -z "$failed" ] || fail "JSONTestSuite:" "$failed"
}

@test "csv-spectrum: every file's records are counted, and grouped by its first column into its values" {
	local f name k failed='' n=0
	for f in "$DH_CONF"/csv-spectrum/csvs/*.csv; do
		name=$(basename "$f" .csv)
		n=$((n + 1))
		k=$(jq -r '.[0] | keys_unsorted[0]' "$DH_CONF/csv-spectrum/json/$name.json")
		[ "$(dh-agg -t jsonl -a count "$f" | jq .count)" = "$(jq length "$DH_CONF/csv-spectrum/json/$name.json")" ] ||
			failed+="  $name: count"$'\n'
		[ "$(dh-agg -t jsonl -g "$k" -a count "$f" | jq -c -s --arg k "$k" 'map(.[$k]) | sort')" = \
			"$(jq -c --arg k "$k" 'map(.[$k]) | unique' "$DH_CONF/csv-spectrum/json/$name.json")" ] ||
			failed+="  $name: groups"$'\n'
	done
	[ "$n" -eq 11 ] || fail "expected 11 csv-spectrum files, found $n"
	[ -z "$failed" ] || fail "csv-spectrum:" "$failed"
}
