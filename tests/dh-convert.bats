#!/usr/bin/env bats
# shellcheck disable=SC2154 # $out, $err, $status: set by capture in helper.bash
# dh-convert(1), black box: formats, strictness, errors, streaming.
# Conformance data is read from ../shared/conformance (see helper.bash);
# golden files are in tests/fixtures/dh-convert/.

load helper

setup() {
	dh_setup
	FX="$DH_FIXTURES/dh-convert"
	TP="$DH_CONF/json-test-suite/test_parsing"
}

# --- 1. csv-spectrum ----------------------------------------------------

@test "csv-spectrum: every file gives exactly the expected records, all strings" {
	local loc f name n=0 failed=
	for loc in $DH_LOCALES; do
		for f in "$DH_CONF"/csv-spectrum/csvs/*.csv; do
			name=$(basename "$f" .csv)
			n=$((n + 1))
			rc=0
			LC_ALL=$loc dh-convert -t json "$f" >got.json 2>err || rc=$?
			if [ "$rc" -ne 0 ]; then
				failed+="  $loc $name: -t json exit $rc: $(cat err)"$'\n'
				continue
			fi
			if [ "$(jq -S . got.json)" != "$(jq -S . "$DH_CONF/csv-spectrum/json/$name.json")" ]; then
				failed+="  $loc $name: -t json gave $(cat got.json)"$'\n'
			fi
			if ! jq -e 'all(.[]; all(.[]; type == "string"))' got.json >/dev/null; then
				failed+="  $loc $name: a value is not a string"$'\n'
			fi
			rc=0
			LC_ALL=$loc dh-convert -t jsonl "$f" >got.jsonl 2>err || rc=$?
			if [ "$rc" -ne 0 ] ||
			   [ "$(jq -S -c . got.jsonl)" != "$(jq -S -c '.[]' "$DH_CONF/csv-spectrum/json/$name.json")" ]; then
				failed+="  $loc $name: -t jsonl exit $rc gave $(cat got.jsonl) $(cat err)"$'\n'
			fi
		done
	done
	[ "$n" -eq 22 ] || fail "expected 11 csv-spectrum files per locale, found $n"
	[ -z "$failed" ] || fail "csv-spectrum failures:" "$failed"
}

# --- 2. JSONTestSuite ---------------------------------------------------

@test "JSONTestSuite: every n_ file as jsonl exits 3 with 'dh-convert: PATH:LINE: reason'" {
	local f b rc first rest n=0 failed=
	for f in "$TP"/n_*.json; do
		b=${f##*/}
		n=$((n + 1))
		rc=0
		timeout "$DH_HANG" dh-convert -f jsonl "$f" >out 2>err || rc=$?
		if [ "$b" = n_structure_no_data.json ]; then
			# an empty file: as JSON lines that is zero records,
			# exit 0 (DESIGN §3 "empty input is zero records")
			if [ "$rc" -ne 0 ] || [ -s out ] || [ -s err ]; then
				failed+="  $b (empty): exit $rc, stdout $(cat out), stderr $(cat err)"$'\n'
			fi
			continue
		fi
		first=$(head -n 1 err)
		rest=${first#"dh-convert: $f:"}
		if [ "$rc" -ne 3 ]; then
			failed+="  $b: exit $rc (want 3): $first"$'\n'
		elif [ "$rest" = "$first" ] || ! [[ $rest =~ ^[1-9][0-9]*:\ .+ ]]; then
			failed+="  $b: stderr: $first"$'\n'
		fi
	done
	[ "$n" -ge 180 ] || fail "found only $n n_ files in $TP"
	[ -z "$failed" ] || fail "n_ files not rejected as they should be:" "$failed"
}

@test "JSONTestSuite: no file (y_, n_, i_) crashes or hangs in jsonl, json or sniffed mode" {
	local loc f mode rc n=0 failed=
	for loc in $DH_LOCALES; do
		for f in "$TP"/*.json; do
			for mode in "-f jsonl" "-f json" ""; do
				n=$((n + 1))
				rc=0
				# shellcheck disable=SC2086
				LC_ALL=$loc timeout "$DH_HANG" dh-convert $mode -t jsonl "$f" >out 2>err || rc=$?
				case $rc in
				0)
					[ -s err ] && failed+="  $loc ${f##*/} [$mode]: exit 0 but stderr: $(head -n 1 err)"$'\n' ;;
				3)
					[[ $(head -n 1 err) == "dh-convert: $f:"* ]] ||
						failed+="  $loc ${f##*/} [$mode]: exit 3, stderr: $(head -n 1 err)"$'\n' ;;
				*)
					failed+="  $loc ${f##*/} [$mode]: exit $rc $(head -c 200 err)"$'\n' ;;
				esac
			done
		done
	done
	[ "$n" -eq $((318 * 3 * 2)) ] || fail "expected 318 files, ran $n cases"
	[ -z "$failed" ] || fail "crash, hang or unexpected status (only 0 or 3 allowed):" "$failed"
}

@test "JSONTestSuite: every y_ file holding one object on one line is accepted and re-emitted equal" {
	local f b n=0 failed=
	for f in "$TP"/y_*.json; do
		b=${f##*/}
		[ "$(jq -r type "$f" 2>/dev/null)" = object ] || continue
		# one line: no newline except possibly a final one
		[ "$(head -c -1 "$f" | tr -cd '\n' | wc -c)" -eq 0 ] || continue
		case $b in
		y_object_duplicated_key*)
			# DESIGN §3: a duplicate key is an error (JSON_REJECT_DUPLICATES)
			rc=0
			dh-convert -f jsonl "$f" >out 2>err || rc=$?
			[ "$rc" -eq 3 ] || failed+="  $b: duplicate key accepted (exit $rc)"$'\n'
			continue ;;
		y_object_escaped_null_in_key.json)
			# as jansson: a NUL in a field name is refused, with a reason
			rc=0
			dh-convert -f jsonl "$f" >out 2>err || rc=$?
			[ "$rc" -eq 3 ] && grep -q 'NUL byte in object key' err ||
				failed+="  $b: NUL in a key not refused (exit $rc)"$'\n'
			continue ;;
		esac
		n=$((n + 1))
		rc=0
		dh-convert -f jsonl "$f" >out 2>err || rc=$?
		if [ "$rc" -ne 0 ]; then
			failed+="  $b: exit $rc: $(cat err)"$'\n'
		elif [ "$(jq -S -c . out)" != "$(jq -S -c . "$f")" ] || [ "$(wc -l <out)" -ne 1 ]; then
			failed+="  $b: re-emitted as $(cat out)"$'\n'
		fi
		# the same object as the one element of a JSON array
		{ printf '['; cat "$f"; printf ']'; } >arr.json
		rc=0
		dh-convert -f json -t jsonl arr.json >out 2>err || rc=$?
		if [ "$rc" -ne 0 ] || [ "$(jq -S -c . out)" != "$(jq -S -c . "$f")" ]; then
			failed+="  $b inside [ ]: exit $rc: $(cat out) $(cat err)"$'\n'
		fi
	done
	[ "$n" -eq 8 ] || fail "expected 8 one-line y_ objects (duplicate keys and NUL key aside), found $n"
	[ -z "$failed" ] || fail "y_ objects not accepted:" "$failed"
}

@test "JSONTestSuite: numbers pass through byte-exact (y_object_extreme_numbers)" {
	capture dh-convert -f jsonl "$TP/y_object_extreme_numbers.json"
	assert_status 0
	assert_out '{"min":-1.0e+28,"max":1.0e+28}'
	assert_err_empty
}

# --- 3. bad input -------------------------------------------------------

@test "bad input: a CSV row with more or fewer fields than the header is exit 3 naming the line" {
	printf 'a,b\n1,2\n3,4,5\n' >bad.csv
	printf 'a,b\r\n1,2\r\n\r\n' >short.csv
	for LC_ALL in $DH_LOCALES; do
		export LC_ALL
		capture dh-convert -t jsonl bad.csv
		assert_status 3
		assert_err 'dh-convert: bad.csv:3: expected 2 fields (as the header), found 3'
		capture dh-convert -f csv -t csv - <bad.csv
		assert_status 3
		assert_err 'dh-convert: (stdin):3: expected 2 fields (as the header), found 3'
		printf 'a,b\n1,2\n7\n' >few.csv
		capture dh-convert -t tsv few.csv
		assert_status 3
		assert_err 'dh-convert: few.csv:3: expected 2 fields (as the header), found 1'
	done
}

@test "bad input: an unterminated CSV quote is exit 3 naming the line where it opens" {
	printf 'a,b\n1,2\n3,"x\ny\n' >uq.csv
	for LC_ALL in $DH_LOCALES; do
		export LC_ALL
		capture dh-convert -t jsonl uq.csv
		assert_status 3
		assert_err 'dh-convert: uq.csv:3: unterminated quoted field'
	done
}

@test "bad input: 1,\"x\"y is exit 3, and with --rejects the rows after it are kept" {
	printf 'a,b,c\n1,"x"y,2\n3,4,5\n' >xy.csv
	capture dh-convert -t jsonl xy.csv
	assert_status 3
	assert_err 'dh-convert: xy.csv:2: malformed quoted field (a quote must be doubled inside quotes, and a quoted field must end at a comma or line end)'
	capture dh-convert -t jsonl --rejects rej.jsonl xy.csv
	assert_status 0
	assert_out '{"a":"3","b":"4","c":"5"}'
	[ "$(jq -c '[.line, .record]' rej.jsonl)" = '[2,"1,\"x\"y,2"]' ] ||
		fail "rejects: $(cat rej.jsonl)"
}

@test "bad input: invalid UTF-8 and a lone surrogate in JSON are exit 3 naming the line" {
	printf '{"a":"ok"}\n{"a":"\377"}\n' >u.jsonl
	printf '{"a":"ok"}\n{"a":"\\ud800"}\n' >s.jsonl
	for LC_ALL in $DH_LOCALES; do
		export LC_ALL
		capture dh-convert u.jsonl
		assert_status 3
		assert_err "dh-convert: u.jsonl:2: invalid JSON at column 6: unable to decode byte 0xff near '\"'"
		capture dh-convert -t csv s.jsonl
		assert_status 3
		assert_err "dh-convert: s.jsonl:2: invalid JSON at column 13: invalid Unicode '\\uD800' near '\"\\ud800\"'"
	done
}

@test "bad input: a duplicate JSON key is exit 3 naming the line" {
	printf '{"a":1}\n{"a":1,"a":2}\n' >d.jsonl
	capture dh-convert -t csv d.jsonl
	assert_status 3
	assert_err "dh-convert: d.jsonl:2: invalid JSON at column 10: duplicate object key near '\"a\"'"
	# in a JSON array: the line the element starts on, and its record number
	printf '[{"a":1},\n{"a":1,"a":2}]\n' >d.json
	capture dh-convert -t jsonl d.json
	assert_status 3
	assert_err "dh-convert: d.json:2: record 2: invalid JSON at column 10: duplicate object key near '\"a\"'"
	printf '[\n{"a":1},\n{"b":1,"b":2}\n]\n' >d3.json
	capture dh-convert -t jsonl d3.json
	assert_status 3
	assert_err "dh-convert: d3.json:3: record 2: invalid JSON at column 10: duplicate object key near '\"b\"'"
}

@test "bad input: JSON nested 100,000 deep is exit 3, not a crash" {
	{
		printf '{"a":'
		head -c 100000 /dev/zero | tr '\0' '['
		head -c 100000 /dev/zero | tr '\0' ']'
		printf '}\n'
	} >deep.jsonl
	capture timeout $((DH_HANG * 2)) dh-convert deep.jsonl
	assert_status 3
	assert_err "dh-convert: deep.jsonl:1: invalid JSON at column 2053: maximum parsing depth reached near '['"
	{ printf '['; cat deep.jsonl; printf ']\n'; } >deep.json
	capture timeout $((DH_HANG * 2)) dh-convert -t jsonl deep.json
	assert_status 3
	assert_err "dh-convert: deep.json:1: record 1: invalid JSON at column 2053: maximum parsing depth reached near '['"
}

@test "bad input: a blank JSON line is exit 3 with a hint; --skip-blank skips it" {
	printf '{"a":1}\n\n{"a":2}\n' >bl.jsonl
	capture dh-convert bl.jsonl
	assert_status 3
	assert_err 'dh-convert: bl.jsonl:2: blank line (use --skip-blank to ignore blank lines)'
	capture dh-convert --skip-blank bl.jsonl
	assert_status 0
	assert_out $'{"a":1}\n{"a":2}'
	assert_err_empty
	printf '{"a":1}\n\n' >trail.jsonl
	capture dh-convert -t csv trail.jsonl
	assert_status 3
	assert_err 'dh-convert: trail.jsonl:2: blank line (use --skip-blank to ignore blank lines)'
	capture dh-convert -t csv --skip-blank trail.jsonl
	assert_status 0
	assert_out $'a\n1'
}

@test "bad input: invalid UTF-8 in CSV is kept byte-exact to CSV/TSV and exit 3 to JSON" {
	printf 'a,b\nx\377y,2\n' >iu.csv
	printf 'a,b\nx\377y,2\n' >want.csv
	printf 'a\tb\nx\377y\t2\n' >want.tsv
	for LC_ALL in $DH_LOCALES; do
		export LC_ALL
		capture dh-convert iu.csv
		assert_status 0
		assert_out_file want.csv
		capture dh-convert -t tsv iu.csv
		assert_status 0
		assert_out_file want.tsv
		capture dh-convert -t jsonl iu.csv
		assert_status 3
		assert_err 'dh-convert: iu.csv:2: field "a": invalid UTF-8 at byte 2 (JSON output must be UTF-8)'
		capture dh-convert -t json iu.csv
		assert_status 3
		assert_err 'dh-convert: iu.csv:2: field "a": invalid UTF-8 at byte 2 (JSON output must be UTF-8)'
	done
}

@test "bad input: a NUL byte in a CSV field is kept, never truncated" {
	printf 'a,b\nx\0y,2\n' >nul.csv
	capture dh-convert nul.csv
	assert_status 0
	assert_out_file nul.csv
	capture dh-convert -t jsonl nul.csv
	assert_status 0
	assert_out '{"a":"x\u0000y","b":"2"}'
}

@test "bad input: a duplicate CSV header field is exit 3" {
	printf 'a,a\n1,2\n' >dup.csv
	capture dh-convert -t jsonl dup.csv
	assert_status 3
	assert_err 'dh-convert: dup.csv:1: duplicate field name in header: "a"'
}

# --- 4. write errors and closed pipes ------------------------------------

@test "/dev/full: exit 4 and a write error, for big and tiny output" {
	seq 1 100000 | awk '{ printf "{\"id\":%d,\"name\":\"user%d\"}\n", $1, $1 }' >big.jsonl
	printf '{"a":1}\n' >tiny.jsonl
	local f args
	for f in big.jsonl tiny.jsonl; do
		for args in "-t jsonl" "-t csv" "-t tsv" "-t json" "-z gzip"; do
			# shellcheck disable=SC2086
			capture sh -c 'exec dh-convert "$@" > /dev/full' sh $args "$f"
			assert_status 4
			assert_err 'dh-convert: write error: stdout: No space left on device'
		done
	done
	capture sh -c 'exec dh-convert -t json </dev/null >/dev/full'
	assert_status 4
	assert_err 'dh-convert: write error: stdout: No space left on device'
}

@test "/dev/full as --rejects file: exit 4 naming it" {
	printf '{"a":1}\n{"a":\n' >r.jsonl
	capture dh-convert --rejects /dev/full r.jsonl
	assert_status 4
	assert_err 'dh-convert: write error: /dev/full: No space left on device'
}

@test "| head -1: one line, and dh-convert says nothing on stderr" {
	seq 1 100000 | awk '{ printf "{\"id\":%d,\"name\":\"user%d\"}\n", $1, $1 }' >big.jsonl
	local args line rc want
	for args in "-t jsonl" "-t csv" "-t tsv" "-t json"; do
		case $args in
		*jsonl) want='{"id":1,"name":"user1"}' ;;
		*csv) want='id,name' ;;
		*tsv) want=$'id\tname' ;;
		*json) want='[' ;;
		esac
		# shellcheck disable=SC2086
		line=$(dh-convert $args big.jsonl 2>err | head -n 1; echo "rc=${PIPESTATUS[0]}")
		[ "$line" = "$want"$'\n'"rc=141" ] || [ "$line" = "$want"$'\n'"rc=0" ] ||
			fail "$args: got $line"
		[ ! -s err ] || fail "$args: stderr: $(cat err)"
	done
}

# --- 5. --rejects and --max-rejects -------------------------------------

@test "--rejects: good records go on to stdout, each bad one is a JSON line with file, line, reason, record" {
	printf '{"a":1}\n{"a":\n{"a":"\377"}\n{"a":2}\n{"a":1,"a":3}\n' >mix.jsonl
	capture dh-convert --rejects rej.jsonl mix.jsonl
	assert_status 0
	assert_out $'{"a":1}\n{"a":2}'
	assert_err 'dh-convert: 3 bad records written to rej.jsonl'
	[ "$(wc -l <rej.jsonl)" -eq 3 ] || fail "rejects: $(cat rej.jsonl)"
	[ "$(jq -c '[.file, .line, .record, .record_base64]' rej.jsonl)" = \
	  '["mix.jsonl",2,"{\"a\":",null]
["mix.jsonl",3,null,"eyJhIjoi/yJ9"]
["mix.jsonl",5,"{\"a\":1,\"a\":3}",null]' ] || fail "rejects: $(cat rej.jsonl)"
	# the base64 holds the raw bytes
	[ "$(sed -n 2p rej.jsonl | jq -r .record_base64 | base64 -d | od -An -tx1)" = \
	  "$(printf '{"a":"\377"}' | od -An -tx1)" ] || fail "record_base64 is not the raw line"
	[ "$(jq -r .reason rej.jsonl)" = "invalid JSON at column 5: unexpected token near end of file
invalid JSON at column 6: unable to decode byte 0xff near '\"'
invalid JSON at column 10: duplicate object key near '\"a\"'" ] || fail "reasons: $(cat rej.jsonl)"
}

@test "--rejects: CSV rows, ragged or invalid UTF-8, are kept raw; good rows go on" {
	printf 'a,b\n1,2\n3,4,5\n"x\ny",6\nq\377,7\n8\n' >r.csv
	capture dh-convert -t jsonl --rejects rej.jsonl r.csv
	assert_status 0
	assert_out $'{"a":"1","b":"2"}\n{"a":"x\\ny","b":"6"}'
	assert_err 'dh-convert: 3 bad records written to rej.jsonl'
	[ "$(jq -c '[.file, .line, .reason, .record, .record_base64]' rej.jsonl)" = \
	  '["r.csv",3,"expected 2 fields (as the header), found 3","3,4,5",null]
["r.csv",6,"field \"a\": invalid UTF-8 at byte 2 (JSON output must be UTF-8)",null,"cf8sNw=="]
["r.csv",7,"expected 2 fields (as the header), found 1","8",null]' ] ||
		fail "rejects: $(cat rej.jsonl)"
}

@test "--rejects: the record of a CRLF row holds the row, not its line terminator" {
	printf 'a,b\r\n1,2,3\r\n4,5\r\n' >crlf.csv
	capture dh-convert -t jsonl --rejects rej.jsonl crlf.csv
	assert_status 0
	assert_out '{"a":"4","b":"5"}'
	[ "$(jq -c '[.line, .record]' rej.jsonl)" = '[2,"1,2,3"]' ] ||
		fail "rejects: $(cat rej.jsonl) (an LF row's record has no \\n, so a CRLF row's has no \\r)"
}

@test "--rejects appends to FILE, as --help says" {
	printf '{"old":"reject"}\n' >rej.jsonl
	printf '{"a":\n{"a":1}\n' >r.jsonl
	capture dh-convert --rejects rej.jsonl r.jsonl
	assert_status 0
	assert_out '{"a":1}'
	[ "$(jq -c '[.old, .line]' rej.jsonl)" = '["reject",null]
[null,1]' ] || fail "rejects file: $(cat rej.jsonl)"
}

@test "--max-rejects N: exit 1 once more than N, with every bad record in the file" {
	printf '{"a":1}\n{"a":\n{"a":"\377"}\n{"a":2}\n{"a":1,"a":3}\n' >mix.jsonl
	capture dh-convert --rejects rej.jsonl --max-rejects 1 mix.jsonl
	assert_status 1
	assert_err 'dh-convert: mix.jsonl:3: too many rejected records (more than --max-rejects 1); see rej.jsonl'
	[ "$(jq -c .line rej.jsonl)" = $'2\n3' ] || fail "rejects: $(cat rej.jsonl)"
	rm rej.jsonl
	capture dh-convert --rejects rej.jsonl --max-rejects 0 mix.jsonl
	assert_status 1
	assert_err 'dh-convert: mix.jsonl:2: too many rejected records (more than --max-rejects 0); see rej.jsonl'
	rm rej.jsonl
	capture dh-convert --rejects rej.jsonl --max-rejects 3 mix.jsonl
	assert_status 0
	assert_out $'{"a":1}\n{"a":2}'
	assert_err 'dh-convert: 3 bad records written to rej.jsonl'
}

@test "--max-rejects without --rejects, or not a number, is a usage error" {
	capture dh-convert --max-rejects 3 /dev/null
	assert_status 2
	assert_err $'dh-convert: --max-rejects needs --rejects FILE\nTry \'dh-convert --help\' for more information.'
	assert_out_empty
	capture dh-convert --rejects r --max-rejects x /dev/null
	assert_status 2
	assert_err $'dh-convert: --max-rejects: not a non-negative integer: \'x\'\nTry \'dh-convert --help\' for more information.'
}

# --- 6. round trips -----------------------------------------------------

@test "round trip: A -> B -> A gives back A's records for every pair of csv, tsv, jsonl, json" {
	local loc a b n=0 failed=
	for loc in $DH_LOCALES; do
		for a in csv tsv jsonl json; do
			for b in csv tsv jsonl json; do
				n=$((n + 1))
				rc=0
				LC_ALL=$loc dh-convert -f "$a" -t "$b" "$FX/roundtrip.$a" >mid 2>err || rc=$?
				[ "$rc" -eq 0 ] || { failed+="  $loc $a->$b: exit $rc $(cat err)"$'\n'; continue; }
				LC_ALL=$loc dh-convert -f "$b" -t "$a" mid >back 2>err || rc=$?
				[ "$rc" -eq 0 ] || { failed+="  $loc $a->$b->$a: exit $rc $(cat err)"$'\n'; continue; }
				# back in A's format: the writer is deterministic, so the
				# bytes are A's, and as JSON the records are the fixture's
				cmp -s back "$FX/roundtrip.$a" ||
					failed+="  $loc $a->$b->$a: bytes differ: $(diff <(cat -A "$FX/roundtrip.$a") <(cat -A back) | head -n 6)"$'\n'
				LC_ALL=$loc dh-convert -f "$a" -t jsonl back >back.jsonl 2>/dev/null || true
				[ "$(jq -S -c . back.jsonl)" = "$(jq -S -c . "$FX/roundtrip.jsonl")" ] ||
					failed+="  $loc $a->$b->$a: records differ"$'\n'
			done
		done
	done
	[ "$n" -eq 32 ] || fail "ran $n cases"
	[ -z "$failed" ] || fail "round trips lost something:" "$failed"
}

@test "golden: the round-trip records written as csv, tsv, json match the fixtures byte for byte" {
	local t
	for t in csv tsv json jsonl; do
		capture dh-convert -t "$t" "$FX/roundtrip.jsonl"
		assert_status 0
		assert_out_file "$FX/roundtrip.$t"
	done
	# the same records, every field quoted and CRLF line ends
	capture dh-convert -t jsonl "$FX/roundtrip-crlf.csv"
	assert_status 0
	assert_out_file "$FX/roundtrip.jsonl"
	# and the fixtures agree with each other
	jq -c '.[]' "$FX/roundtrip.json" >elements.jsonl
	json_eq elements.jsonl "$FX/roundtrip.jsonl"
}

@test "tsv: tab, newline, CR and backslash in a value are written \\t \\n \\r \\\\ and read back" {
	printf '{"k\\ty":"a\\tb\\nc\\rd\\\\e","z":"\\\\n"}\n' >in.jsonl
	capture dh-convert -t tsv in.jsonl
	assert_status 0
	printf 'k\\ty\tz\na\\tb\\nc\\rd\\\\e\t\\\\n\n' >want.tsv
	assert_out_file want.tsv
	capture dh-convert -t jsonl want.tsv
	assert_status 0
	assert_out_file in.jsonl
}

# --- 7. values byte-exact -----------------------------------------------

@test "numbers keep their text: 1e6, a 30-digit integer, -0.0" {
	local in='{"a":1e6,"b":123456789012345678901234567890,"c":-0.0}'
	for LC_ALL in $DH_LOCALES; do
		export LC_ALL
		capture dh-convert -f jsonl -t jsonl <<<"$in"
		assert_status 0
		assert_out "$in"
		capture dh-convert -f jsonl -t csv <<<"$in"
		assert_status 0
		assert_out $'a,b,c\n1e6,123456789012345678901234567890,-0.0'
		capture dh-convert -f jsonl -t tsv <<<"$in"
		assert_status 0
		assert_out $'a\tb\tc\n1e6\t123456789012345678901234567890\t-0.0'
		capture dh-convert -f jsonl -t json <<<"$in"
		assert_status 0
		assert_out "[
$in
]"
	done
}

@test "strings keep their escapes: \\u00e9 and \\/ are written as read" {
	capture dh-convert -f json -t jsonl <<<'[{"a":1E+2,"s":"\u00e9\/"}]'
	assert_status 0
	assert_out '{"a":1E+2,"s":"\u00e9\/"}'
}

# --- 8. nested ----------------------------------------------------------

@test "--flatten: a.b, c.0 with the default separator and with --sep :" {
	local in='{"a":{"b":1,"c":{"d":"x"}},"c":[2,{"e":null}],"f":"y"}'
	capture dh-convert -f jsonl --flatten <<<"$in"
	assert_status 0
	assert_out '{"a.b":1,"a.c.d":"x","c.0":2,"c.1.e":null,"f":"y"}'
	capture dh-convert -f jsonl --flatten --sep : <<<"$in"
	assert_status 0
	assert_out '{"a:b":1,"a:c:d":"x","c:0":2,"c:1:e":null,"f":"y"}'
}

@test "--unflatten reverses --flatten, with the default separator and with --sep :" {
	local in='{"a":{"b":1,"c":{"d":"x"}},"c":[2,{"e":null}],"f":"y"}'
	capture dh-convert -f jsonl --unflatten <<<'{"a.b":1,"a.c.d":"x","c.0":2,"c.1.e":null,"f":"y"}'
	assert_status 0
	assert_out "$in"
	capture dh-convert -f jsonl --unflatten --sep : <<<'{"a:b":1,"a:c:d":"x","c:0":2,"c:1:e":null,"f":"y"}'
	assert_status 0
	assert_out "$in"
	# with --sep :, a dot is an ordinary character
	capture dh-convert -f jsonl --unflatten --sep : <<<'{"a.b":1}'
	assert_status 0
	assert_out '{"a.b":1}'
}

@test "nested JSON to csv/tsv is flattened automatically" {
	local in='{"a":{"b":1,"c":{"d":"x"}},"c":[2,{"e":null}],"f":"y"}'
	capture dh-convert -f jsonl -t csv <<<"$in"
	assert_status 0
	assert_out $'a.b,a.c.d,c.0,c.1.e,f\n1,x,2,,y'
	capture dh-convert -f jsonl -t tsv --sep : <<<"$in"
	assert_status 0
	assert_out $'a:b\ta:c:d\tc:0\tc:1:e\tf\n1\tx\t2\t\ty'
}

@test "empty object and array survive --flatten, --unflatten and csv" {
	local in='{"e":{},"a":[],"x":{"y":[]}}'
	capture dh-convert -f jsonl --flatten <<<"$in"
	assert_status 0
	assert_out '{"e":{},"a":[],"x.y":[]}'
	capture dh-convert -f jsonl --unflatten <<<'{"e":{},"a":[],"x.y":[]}'
	assert_status 0
	assert_out "$in"
	capture dh-convert -f jsonl -t csv <<<"$in"
	assert_status 0
	assert_out $'e,a,x.y\n{},[],[]'
}

@test "--unflatten: keys 0,1,... become an array, other keys an object" {
	capture dh-convert -f jsonl --unflatten <<<'{"c.0":"a","c.1":"b","d.x":1}'
	assert_status 0
	assert_out '{"c":["a","b"],"d":{"x":1}}'
	capture dh-convert -f jsonl --unflatten <<<'{"c.0":"a","c.2":"b"}'
	assert_status 0
	assert_out '{"c":{"0":"a","2":"b"}}'
	capture dh-convert -f csv -t jsonl --unflatten <<<$'a.b,a.c,c.0,c.1\n1,2,x,y'
	assert_status 0
	assert_out '{"a":{"b":"1","c":"2"},"c":["x","y"]}'
	capture dh-convert -f csv -t jsonl --unflatten --infer <<<$'a.b,a.c,c.0,c.1\n1,2,x,y'
	assert_status 0
	assert_out '{"a":{"b":1,"c":2},"c":["x","y"]}'
}

@test "flattening two fields to one name is exit 3, not a lost value" {
	local args
	for args in "-t csv" "--flatten" "-t tsv"; do
		# shellcheck disable=SC2086
		capture dh-convert -f jsonl $args <<<'{"a.b":1,"a":{"b":2}}'
		assert_status 3
		assert_err 'dh-convert: (stdin):1: flattening gives two fields named "a.b" (a key holds the separator; choose another with --sep)'
	done
	capture dh-convert -f jsonl -t csv --sep / <<<'{"a.b":1,"a":{"b":2}}'
	assert_status 0
	assert_out $'a.b,a/b\n1,2'
}

@test "--unflatten: a field that is both a value and a parent is exit 3" {
	capture dh-convert -f jsonl --unflatten <<<'{"a":1,"a.b":2}'
	assert_status 3
	assert_err 'dh-convert: (stdin):1: cannot unflatten: field "a" is a value and also holds fields'
}

@test "--flatten with --unflatten is a usage error" {
	capture dh-convert --flatten --unflatten /dev/null
	assert_status 2
	assert_err $'dh-convert: --flatten and --unflatten exclude each other\nTry \'dh-convert --help\' for more information.'
}

# --- 9. differing keys to CSV ------------------------------------------

@test "csv: a missing key is an empty field, key order follows the header" {
	printf '{"a":1,"b":2}\n{"a":3}\n{"b":4,"a":5}\n' >k.jsonl
	capture dh-convert -t csv k.jsonl
	assert_status 0
	assert_out $'a,b\n1,2\n3,\n5,4'
	capture dh-convert -t tsv k.jsonl
	assert_status 0
	assert_out $'a\tb\n1\t2\n3\t\n5\t4'
}

@test "csv: a key first seen after the header is exit 3 naming line and key, suggesting --union" {
	printf '{"a":1,"b":2}\n{"a":3}\n{"a":5,"c":6}\n' >k.jsonl
	capture dh-convert -t csv k.jsonl
	assert_status 3
	assert_err 'dh-convert: k.jsonl:3: field "c" is not in the CSV header, which was written from the first record (use --union to collect all fields first)'
	printf 'a,b\n1,2\n' >h1.csv
	printf 'b,c\n3,4\n' >h2.csv
	capture dh-convert h1.csv h2.csv
	assert_status 3
	assert_err 'dh-convert: h2.csv:2: field "c" is not in the CSV header, which was written from the first record (use --union to collect all fields first)'
}

@test "--union: all keys become columns in first-seen order, nothing else changes" {
	printf '{"a":1,"b":2}\n{"a":3}\n{"a":5,"c":"x,\\"y\\"\\n"}\n' >k.jsonl
	capture dh-convert -t csv --union k.jsonl
	assert_status 0
	assert_out $'a,b,c\n1,2,\n3,,\n5,,"x,""y""\n"'
	capture dh-convert -t tsv --union k.jsonl
	assert_status 0
	assert_out $'a\tb\tc\n1\t2\t\n3\t\t\n5\t\tx,"y"\\n'
	# to JSON there are no columns: --union changes nothing
	capture dh-convert -t jsonl --union k.jsonl
	assert_status 0
	assert_out_file k.jsonl
	# when the keys agree, the output is what it is without --union
	local f
	for f in csv tsv; do
		dh-convert -t "$f" "$FX/roundtrip.jsonl" >plain
		capture dh-convert -t "$f" --union "$FX/roundtrip.jsonl"
		assert_status 0
		assert_out_file plain
	done
	printf 'a,b\n1,2\n' >h1.csv
	printf 'b,c\n3,4\n' >h2.csv
	capture dh-convert --union h1.csv - <h2.csv
	assert_status 0
	assert_out $'a,b,c\n1,2,\n,3,4'
}

@test "--union on 3000 records: late keys become columns, every row as expected" {
	awk 'BEGIN { for (i = 1; i <= 3000; i++) {
		printf "{\"id\":%d", i
		if (i % 1000 == 0) printf ",\"k%d\":\"v,%d\"", i, i
		printf ",\"s\":\"x\\\"y\",\"n\":1.50}\n" } }' >u.jsonl
	awk 'BEGIN { print "id,s,n,k1000,k2000,k3000"
		for (i = 1; i <= 3000; i++) {
			k1 = (i == 1000) ? "\"v,1000\"" : ""
			k2 = (i == 2000) ? "\"v,2000\"" : ""
			k3 = (i == 3000) ? "\"v,3000\"" : ""
			printf "%d,\"x\"\"y\",1.50,%s,%s,%s\n", i, k1, k2, k3 } }' >want.csv
	capture dh-convert -t csv --union u.jsonl
	assert_status 0
	assert_out_file want.csv
	capture dh-convert -f jsonl -t csv --union - <u.jsonl
	assert_status 0
	assert_out_file want.csv
}

# --- 10. --fields -------------------------------------------------------

@test "--fields selects and orders, reaches into nested JSON, a missing field is empty in csv" {
	printf '{"a":1,"b":{"c":"x","z":2},"d":true,"e":5}\n{"a":2,"d":false}\n' >f.jsonl
	capture dh-convert -t csv --fields d,b.c,a f.jsonl
	assert_status 0
	assert_out $'d,b.c,a\ntrue,x,1\nfalse,,2'
	capture dh-convert -t tsv --fields b:c,a --sep : f.jsonl
	assert_status 0
	assert_out $'b:c\ta\nx\t1\n\t2'
	capture dh-convert --fields e,a f.jsonl
	assert_status 0
	assert_out $'{"e":5,"a":1}\n{"a":2}'
	capture dh-convert --fields b f.jsonl
	assert_status 0
	assert_out $'{"b":{"c":"x","z":2}}\n{}'
	capture dh-convert -f csv --fields z,q,x <<<$'x,y,z\n1,2,3'
	assert_status 0
	assert_out $'z,q,x\n3,,1'
	# also a flattened name
	capture dh-convert -f jsonl -t csv --fields a.b,c.d <<<'{"a.b":1,"c":{"d":2}}'
	assert_status 0
	assert_out $'a.b,c.d\n1,2'
}

@test "--fields with an empty name is a usage error" {
	capture dh-convert --fields a,,b /dev/null
	assert_status 2
	assert_err $'dh-convert: --fields: empty field name in \'a,,b\'\nTry \'dh-convert --help\' for more information.'
}

# --- 11. --infer --------------------------------------------------------

@test "--infer: only exact JSON numbers, true, false and empty change type; default all strings" {
	printf 'a,b,c,d,e,f,g,h,i,j,k\n007,7,1.5e3,true,false,,-0,1.,+1,TRUE, 7\n' >inf.csv
	for LC_ALL in $DH_LOCALES; do
		export LC_ALL
		capture dh-convert -t jsonl inf.csv
		assert_status 0
		assert_out '{"a":"007","b":"7","c":"1.5e3","d":"true","e":"false","f":"","g":"-0","h":"1.","i":"+1","j":"TRUE","k":" 7"}'
		capture dh-convert -t jsonl --infer inf.csv
		assert_status 0
		assert_out '{"a":"007","b":7,"c":1.5e3,"d":true,"e":false,"f":null,"g":-0,"h":"1.","i":"+1","j":"TRUE","k":" 7"}'
		capture dh-convert -f tsv -t json --infer <<<$'a\tb\n007\t-2.5E-3'
		assert_status 0
		assert_out $'[\n{"a":"007","b":-2.5E-3}\n]'
	done
	# JSON input keeps its types; --infer is about CSV/TSV text
	capture dh-convert -f jsonl --infer <<<'{"a":"7"}'
	assert_status 0
	assert_out '{"a":"7"}'
}

# --- 12. compression ----------------------------------------------------

@test "-z gzip|zstd|xz|bzip2: the output decompresses to the bytes written without -z" {
	local z
	dh-convert -t csv "$FX/roundtrip.jsonl" >plain.csv
	for z in gzip zstd xz bzip2; do
		command -v "$z" >/dev/null || skip "$z is not installed"
		capture dh-convert -t csv -z "$z" "$FX/roundtrip.jsonl"
		assert_status 0
		assert_err_empty
		"$z" -dc <"$DH_OUT" >got || fail "$z -dc failed on -z $z output"
		cmp -s got plain.csv || fail "-z $z: decompressed output differs"
	done
	capture dh-convert -z lz4 "$FX/roundtrip.jsonl"
	assert_status 2
	assert_err $'dh-convert: unknown compression \'lz4\' (gzip, zstd, xz, bzip2)\nTry \'dh-convert --help\' for more information.'
}

@test "compressed input (gzip, bzip2, xz, zstd, lz4) is read by content: file, stdin, misleading names" {
	local z
	dh-convert -t csv "$FX/roundtrip.jsonl" >plain.csv
	for z in gzip bzip2 xz zstd lz4; do
		command -v "$z" >/dev/null || skip "$z is not installed"
		"$z" -c <"$FX/roundtrip.jsonl" >x.jsonl        # named as if plain
		cp x.jsonl "data.$z"                            # no format in the name
		capture dh-convert -t csv x.jsonl
		assert_status 0
		assert_out_file plain.csv
		capture dh-convert -t csv - <x.jsonl              # stdin, sniffed
		assert_status 0
		assert_out_file plain.csv
		capture dh-convert -f jsonl -t csv <x.jsonl
		assert_status 0
		assert_out_file plain.csv
		capture dh-convert -f jsonl -t csv "data.$z"
		assert_status 0
		assert_out_file plain.csv
	done
	# a compression suffix on an uncompressed file does not matter either
	cp "$FX/roundtrip.jsonl" plain.jsonl.gz
	capture dh-convert -t csv plain.jsonl.gz
	assert_status 0
	assert_out_file plain.csv
	# the format comes from the name under the compression suffix
	gzip -c <"$FX/roundtrip.csv" >rt.csv.gz
	capture dh-convert -t jsonl rt.csv.gz
	assert_status 0
	assert_out_file "$FX/roundtrip.jsonl"
}

# --- 13. empty input ----------------------------------------------------

@test "empty input: no output and exit 0 for every format, from stdin and an empty file; -t json gives [ ]" {
	local f t
	for f in csv tsv jsonl json; do
		: >"empty.$f"
		for t in csv tsv jsonl json; do
			capture dh-convert -t "$t" "empty.$f"
			assert_status 0
			assert_err_empty
			if [ "$t" = json ]; then assert_out $'[\n]'; else assert_out_empty; fi
			capture dh-convert -f "$f" -t "$t" </dev/null
			assert_status 0
			assert_err_empty
			if [ "$t" = json ]; then assert_out $'[\n]'; else assert_out_empty; fi
		done
		# the output format defaults to the input format
		capture dh-convert "empty.$f"
		assert_status 0
		if [ "$f" = json ]; then assert_out $'[\n]'; else assert_out_empty; fi
	done
	printf '[\n]\n' >want.json
	capture dh-convert -t json </dev/null
	assert_status 0
	assert_out_file want.json
	capture dh-convert </dev/null
	assert_status 0
	assert_out_empty
	capture dh-convert -f json -t jsonl <<<'[]'
	assert_status 0
	assert_out_empty
	capture dh-convert -f csv -t jsonl <<<'a,b'
	assert_status 0
	assert_out_empty
}

@test "a CSV or TSV of only a header keeps its header in csv/tsv, and is zero records" {
	capture dh-convert -f csv <<<'a,b'
	assert_status 0
	assert_out 'a,b'
	capture dh-convert -f csv -t tsv <<<'a,b'
	assert_status 0
	assert_out $'a\tb'
	capture dh-convert -f tsv -t csv <<<$'a\tb'
	assert_status 0
	assert_out 'a,b'
	capture dh-convert -f csv -t json <<<'a,b'
	assert_status 0
	assert_out $'[\n]'
}

@test "a UTF-8 byte-order mark is skipped before CSV and TSV, and named as the error before JSON" {
	printf '\357\273\277a,b\n1,2\n' >bom.csv
	printf '\357\273\277a\tb\n1\t2\n' >bom.tsv
	printf '\357\273\277{"a":1}\n' >bom.jsonl
	capture dh-convert -t jsonl bom.csv
	assert_status 0
	assert_out '{"a":"1","b":"2"}'
	capture dh-convert bom.csv
	assert_status 0
	assert_out $'a,b\n1,2'
	capture dh-convert -t jsonl bom.tsv
	assert_status 0
	assert_out '{"a":"1","b":"2"}'
	capture dh-convert bom.jsonl
	assert_status 3
	assert_err 'dh-convert: bom.jsonl:1: invalid JSON at column 1: a UTF-8 byte-order mark starts the input (JSON text must not have one)'
}

# --- 14. options --------------------------------------------------------

@test "--help: exit 0, usage on stdout, nothing on stderr" {
	local o
	for o in --help -h; do
		capture dh-convert "$o"
		assert_status 0
		assert_err_empty
		[[ $out == "Usage: dh-convert "* ]] || fail "$o: $out"
		[[ $out == *$'\nExit status:\n'* ]] || fail "$o: no exit status section"
	done
}

@test "--version: exit 0, 'dh-convert (dh) VERSION' on stdout" {
	local o
	for o in --version -V; do
		capture dh-convert "$o"
		assert_status 0
		assert_err_empty
		[[ $(head -n 1 "$DH_OUT") =~ ^dh-convert\ \(dh\)\ [0-9]+\.[0-9]+(\.[0-9]+)?$ ]] ||
			fail "$o: $out"
	done
}

@test "an unknown option prints exactly two lines and exits 2" {
	capture dh-convert --bogus
	assert_status 2
	assert_out_empty
	assert_err $'dh-convert: unrecognized option \'--bogus\'\nTry \'dh-convert --help\' for more information.'
	capture dh-convert -x
	assert_status 2
	assert_err $'dh-convert: invalid option -- \'x\'\nTry \'dh-convert --help\' for more information.'
	capture dh-convert -t
	assert_status 2
	assert_err $'dh-convert: option requires an argument -- \'t\'\nTry \'dh-convert --help\' for more information.'
}

@test "a bad -t, -f or --sep value exits 2" {
	capture dh-convert -t xml /dev/null
	assert_status 2
	assert_out_empty
	assert_err $'dh-convert: unknown output format \'xml\' (csv, tsv, jsonl, json)\nTry \'dh-convert --help\' for more information.'
	capture dh-convert -f xml /dev/null
	assert_status 2
	assert_err $'dh-convert: unknown input format \'xml\' (csv, tsv, jsonl, json)\nTry \'dh-convert --help\' for more information.'
	capture dh-convert --sep ab /dev/null
	assert_status 2
	assert_err $'dh-convert: --sep takes one character, not \'ab\'\nTry \'dh-convert --help\' for more information.'
}

@test "a missing file or a directory exits 4 naming it" {
	capture dh-convert nope.csv
	assert_status 4
	assert_err 'dh-convert: nope.csv: No such file or directory'
	printf '{"a":1}\n' >ok.jsonl
	capture dh-convert ok.jsonl nope.jsonl
	assert_status 4
	assert_err 'dh-convert: nope.jsonl: No such file or directory'
	mkdir dir
	capture dh-convert -f jsonl dir
	assert_status 4
	assert_err 'dh-convert: dir: is a directory, not a partition (it has no _MANIFEST)'
}

@test "several files are read in order, - is stdin" {
	printf '{"a":1}\n' >one.jsonl
	printf '{"a":2}\n' >two.jsonl
	capture sh -c 'printf "{\"a\":3}\n" | dh-convert one.jsonl - two.jsonl'
	assert_status 0
	assert_out $'{"a":1}\n{"a":3}\n{"a":2}'
	assert_err_empty
}

@test "several files: each file's format comes from its own name (DESIGN §3)" {
	printf '{"a":1}\n' >one.jsonl
	printf 'a,b\n1,2\n' >s.csv
	capture dh-convert -t jsonl s.csv one.jsonl
	assert_status 0
	assert_out $'{"a":"1","b":"2"}\n{"a":1}'
}

# --- 15. streaming ------------------------------------------------------

# stream_first FIRST REST ARGS...: feed FIRST, then hold the input open
# until the test has seen output (or 30 s pass), then feed REST. Sets
# $first (output seen while the writer was still waiting) and $all.
stream_first() {
	local a=$1 b=$2 pid i
	shift 2
	rm -f go
	: >sout
	(printf '%b' "$a"; i=0
	 while [ ! -e go ] && [ "$i" -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	 printf '%b' "$b") | dh-convert "$@" >sout 2>serr &
	pid=$!
	for i in $(seq 300); do
		[ -s sout ] && break
		sleep 0.1
	done
	sleep 0.5 # let a complete first record land, should it come in pieces
	first=$(cat sout)
	touch go
	wait "$pid" || fail "dh-convert $*: exit $?: $(cat serr)"
	all=$(cat sout)
}

@test "streaming: each record is written before the input ends" {
	stream_first '{"a":1}\n' '{"a":2}\n' -t csv
	[ "$first" = $'a\n1' ] || fail "-t csv: before the input ended saw: '$first'"
	[ "$all" = $'a\n1\n2' ] || fail "-t csv: $all"
	stream_first '{"a":1}\n' '{"a":2}\n'
	[ "$first" = '{"a":1}' ] || fail "jsonl: before the input ended saw: '$first'"
	[ "$all" = $'{"a":1}\n{"a":2}' ] || fail "jsonl: $all"
	stream_first 'a,b\n1,2\n' '3,4\n' -t jsonl
	[ "$first" = '{"a":"1","b":"2"}' ] || fail "csv: before the input ended saw: '$first'"
	[ "$all" = $'{"a":"1","b":"2"}\n{"a":"3","b":"4"}' ] || fail "csv: $all"
	stream_first 'a\tb\n1\t2\n' '3\t4\n' -f tsv -t tsv
	[ "$first" = $'a\tb\n1\t2' ] || fail "tsv: before the input ended saw: '$first'"
	stream_first '[{"a":1},\n' '{"a":2}]\n' -t jsonl
	[ "$first" = '{"a":1}' ] || fail "json: before the input ended saw: '$first'"
	[ "$all" = $'{"a":1}\n{"a":2}' ] || fail "json: $all"
}

# --- 16. --stats --------------------------------------------------------

@test "--stats: one JSON line on stderr with records in, out and rejected" {
	printf '{"a":1}\n{"a":2}\n{"a":3}\n' >s.jsonl
	capture dh-convert --stats s.jsonl
	assert_status 0
	assert_out $'{"a":1}\n{"a":2}\n{"a":3}'
	[ "$(wc -l <"$DH_ERR")" -eq 1 ] || fail "stderr: $err"
	[ "$(jq -c '[.program, .records_in, .records_out, .rejected, .bytes_in, .bytes_out]' "$DH_ERR")" = \
	  '["dh-convert",3,3,0,24,24]' ] || fail "stats: $err"
	jq -e '.seconds | type == "number"' "$DH_ERR" >/dev/null || fail "stats: $err"
	printf '{"a":1}\n{"a":\n{"a":2}\nx\n{"a":3}\n' >r.jsonl
	capture dh-convert --stats -t csv --rejects rej.jsonl r.jsonl
	assert_status 0
	assert_out $'a\n1\n2\n3'
	[ "$(grep -c '^{' "$DH_ERR")" -eq 1 ] || fail "stderr: $err"
	[ "$(grep '^{' "$DH_ERR" | jq -c '[.records_in, .records_out, .rejected]')" = '[5,3,2]' ] ||
		fail "stats: $err"
}

# --- 17. the parallel path (big JSON-lines files, common/pmap) ------------

# Several 4 MiB chunks with bad records, blank lines, CRLF and a last line
# without a newline: every output, reject and message must be the bytes a
# single thread gives.
@test "parallel: DH_THREADS=2 gives byte-identical output, rejects and errors to one thread" {
	local root=$BATS_TEST_DIRNAME/..
	"$root/${BUILD:-build}/tools/gen" -n 40000 -f jsonl -s 7 >g.jsonl
	awk 'NR == 3 { print "{\"bad\":" } NR == 9000 { print "" } NR == 20000 { printf "%s\r\n", $0; next }
	     NR == 31000 { print "{\"dup\":1,\"dup\":2}" } { print }' g.jsonl >m.jsonl
	printf '{"event_id":"last"}' >>m.jsonl
	[ "$(wc -c <m.jsonl)" -gt $((12 * 1024 * 1024)) ] || fail "input too small for several chunks"
	for args in "-t csv" "-t jsonl" "-t json" "-t tsv --flatten" "-t csv --fields event_id,event_details.position.x" "-t jsonl --flatten --sep :"; do
		# shellcheck disable=SC2086
		DH_THREADS=1 dh-convert $args --skip-blank --rejects rej.jsonl m.jsonl >out1 2>err1 || true
		mv rej.jsonl rej1.jsonl
		# shellcheck disable=SC2086
		DH_THREADS=2 dh-convert $args --skip-blank --rejects rej.jsonl m.jsonl >out2 2>err2 || true
		mv rej.jsonl rej2.jsonl
		cmp -s out1 out2 || fail "$args: outputs differ"
		cmp -s rej1.jsonl rej2.jsonl || fail "$args: rejects differ"
		cmp -s err1 err2 || fail "$args: stderr differs: $(cat err1) / $(cat err2)"
		[ "$(wc -l <rej1.jsonl)" -eq 2 ] || fail "$args: $(wc -l <rej1.jsonl) rejects, want 2"
		rm -f rej1.jsonl rej2.jsonl
	done
	# the first bad record stops both at the same line with the same message
	DH_THREADS=2 capture dh-convert -t csv --skip-blank m.jsonl
	assert_status 3
	assert_err "dh-convert: m.jsonl:3: invalid JSON at column 7: unexpected token near end of file"
	awk 'NR == 25000 { print "{\"x\":" } { print }' g.jsonl >late.jsonl
	DH_THREADS=1 dh-convert -t csv late.jsonl >late1 2>lerr1 && fail "a bad record was accepted"
	DH_THREADS=2 dh-convert -t csv late.jsonl >late2 2>lerr2 && fail "a bad record was accepted"
	cmp -s lerr1 lerr2 || fail "late error differs: $(cat lerr1) / $(cat lerr2)"
	grep -q '^dh-convert: late.jsonl:25000: ' lerr2 || fail "late error: $(cat lerr2)"
}

# CSV chunks are cut at newlines outside quotes: quoted newlines (LF and
# CRLF) near every boundary must not move a record; TSV cuts at newlines.
@test "parallel: CSV with quoted newlines and TSV give one thread's bytes" {
	local root=$BATS_TEST_DIRNAME/..
	"$root/${BUILD:-build}/tools/gen" -n 40000 -f csv -s 9 >g.csv
	# a row of 17 fields (as the header) whose second holds newlines
	awk 'NR > 1 && NR % 997 == 0 { printf "id%d,\"line one\nline \"\"two\"\"\r\nthree\"", NR; for (i = 3; i <= 17; i++) printf ","; print "" } { print }' g.csv >q.csv
	[ "$(head -1 g.csv | tr ',' '\n' | wc -l)" -eq 17 ] || fail "the generator's header changed"
	[ "$(wc -c <q.csv)" -gt $((12 * 1024 * 1024)) ] || fail "input too small for several chunks"
	DH_THREADS=1 dh-convert -t jsonl q.csv >out1 2>err1 || fail "one thread: $(cat err1)"
	DH_THREADS=2 dh-convert -t jsonl q.csv >out2 2>err2 || fail "two threads: $(cat err2)"
	cmp -s out1 out2 || fail "CSV outputs differ"
	[ "$(grep -c 'line one\\nline \\"two\\"\\r\\nthree' out2)" -eq 40 ] || fail "quoted newlines: $(grep -c 'line one' out2)"
	DH_THREADS=1 dh-convert -t tsv q.csv >q.tsv
	DH_THREADS=1 dh-convert -t jsonl q.tsv >tout1
	DH_THREADS=2 dh-convert -t jsonl q.tsv >tout2
	cmp -s tout1 out1 || fail "TSV round trip differs"
	cmp -s tout1 tout2 || fail "TSV outputs differ"
	# a malformed row late in the file stops both at the same line
	awk 'NR == 30001 { print "1,\"x\"y" } { print }' g.csv >bad.csv
	DH_THREADS=1 dh-convert -t jsonl bad.csv >/dev/null 2>berr1 && fail "accepted a bad row"
	DH_THREADS=2 dh-convert -t jsonl bad.csv >/dev/null 2>berr2 && fail "accepted a bad row"
	cmp -s berr1 berr2 || fail "errors differ: $(cat berr1) / $(cat berr2)"
	grep -q '^dh-convert: bad.csv:30001: ' berr2 || fail "error: $(cat berr2)"
}

# --- 18. defects found in review, held down ---------------------------------

@test "review: each CSV file's header is read before the parallel part, for every file" {
	awk 'BEGIN { print "a,b"; for (i = 0; i < 600000; i++) printf "%d,x%07d\n", i, i }' >big.csv
	printf 'a,b\n1,2\n' >f1.csv
	DH_THREADS=1 dh-convert -t jsonl f1.csv big.csv >o1
	DH_THREADS=2 dh-convert -t jsonl f1.csv big.csv >o2
	[ "$(wc -l <o2)" -eq 600001 ] || fail "$(wc -l <o2) records"
	cmp -s o1 o2 || fail "outputs differ"
	awk 'BEGIN { print "a\tb"; for (i = 0; i < 600000; i++) printf "%d\tx\n", i }' >big.tsv
	DH_THREADS=2 dh-convert -t jsonl f1.csv big.tsv | tail -1 | grep -qx '{"a":"599999","b":"x"}' || fail "tsv"
}

@test "review: an escaped separator in a key cannot make two fields one name" {
	printf '{"a\\u002eb":2,"a":{"b":1}}\n' >e.jsonl
	capture dh-convert -f jsonl -t csv e.jsonl
	assert_status 3
	assert_err 'dh-convert: e.jsonl:1: flattening gives two fields named "a.b" (a key holds the separator; choose another with --sep)'
	printf '{"x":{"a\\u002eb":2,"a":{"b":1}}}\n' >n.jsonl
	capture dh-convert -f jsonl --flatten n.jsonl
	assert_status 3
}

@test "review: one-column CSV and TSV keep empty and null values through a round trip" {
	printf '{"a":null}\n{"a":""}\n{}\n{"a":"x"}\n' >one.jsonl
	for t in csv tsv; do
		dh-convert -f jsonl -t $t one.jsonl >one.$t
		capture dh-convert -f $t -t jsonl one.$t
		assert_status 0
		assert_out $'{"a":""}\n{"a":""}\n{"a":""}\n{"a":"x"}'
	done
}

@test "review: a CSV ending in bare CRs ends cleanly; -V to a full disk is exit 4; --fields names a field once" {
	printf 'a,b\r1,2\r\r' >x.csv
	capture dh-convert -f csv -t jsonl x.csv
	assert_status 0
	assert_out '{"a":"1","b":"2"}'
	capture dh-convert -V
	assert_status 0
	dh-convert -V >/dev/full 2>/dev/null && fail "exit 0 on a full disk"
	capture bash -c 'dh-convert -V >/dev/full'
	assert_status 4
	capture dh-convert --fields a,a
	assert_status 2
	assert_err $'dh-convert: --fields: \'a\' is named twice\nTry \'dh-convert --help\' for more information.'
}
