#!/usr/bin/env bats
# dh-check (data quality): expectations (-e, -r), their samples, JSON and
# the results recorded into a partition's manifest; --profile; --anomaly.

load helper

# A FILE operand is first looked up in the state directory, ./state by
# default: an empty one is made, so that the tests of expectations do not
# depend on what happens without one (its own test below).
setup() {
	dh_setup
	mkdir state
}

teardown() {
	# a lock holder left by a test that failed half way
	if [ -n "${holder:-}" ]; then
		kill $(pgrep -P "$holder") "$holder" 2>/dev/null || true
	fi
}

# st/raw/x: days 18 (two records, one null user) and 19 (one record)
hub() {
	printf '{"dt":"2026-11-18","v":1,"u":"a"}\n{"dt":"2026-11-18","v":2,"u":null}\n{"dt":"2026-11-19","v":3,"u":"b"}\n' >s.jsonl
	dh-partition -s st --by dt raw/x s.jsonl >/dev/null
}

# 100 records, v 1..99 and one null
hundred() {
	{
		seq 1 99 | awk '{printf "{\"v\":%d}\n", $1}'
		printf '{"v":null}\n'
	} >h.jsonl
}

# ---- each kind of expectation ----

@test "not_null and exists: a missing field, a null; a JSON \"\" is a value" {
	printf '{"id":1,"name":"ann"}\n{"id":2,"name":null}\n{"id":3}\n{"id":4,"name":""}\n' >in.jsonl
	capture dh-check -e 'not_null(name)' in.jsonl
	assert_status 1
	assert_out 'in.jsonl: not_null(name): FAIL, 2 of 4 unexpected (50%)
  in.jsonl:2: {"id":2,"name":null}
  in.jsonl:3: {"id":3}'
	assert_err_empty
	capture dh-check -e 'exists(name)' in.jsonl
	assert_status 1
	assert_out 'in.jsonl: exists(name): FAIL, 1 of 4 unexpected (25%)
  in.jsonl:3: {"id":3}'
	capture dh-check -e 'not_null(id)' -e 'exists(id)' in.jsonl
	assert_status 0
	assert_out 'in.jsonl: not_null(id): pass, 0 of 4 unexpected
in.jsonl: exists(id): pass, 0 of 4 unexpected'
	assert_err_empty
	# a dotted path into nested JSON
	printf '{"a":{"b":1}}\n{"a":{"b":null}}\n{"a":{}}\n' >n.jsonl
	capture dh-check -e 'not_null(a.b)' -e 'exists(a.b)' n.jsonl
	assert_status 1
	assert_out 'n.jsonl: not_null(a.b): FAIL, 2 of 3 unexpected (66.67%)
  n.jsonl:2: {"a":{"b":null}}
  n.jsonl:3: {"a":{}}
n.jsonl: exists(a.b): FAIL, 1 of 3 unexpected (33.33%)
  n.jsonl:3: {"a":{}}'
}

@test "unique: one field, a compound key; a record with a null key is not held" {
	printf '%s\n' '{"a":1,"b":"x"}' '{"a":1,"b":"y"}' '{"a":1,"b":"x"}' '{"a":null,"b":"x"}' \
		'{"a":null,"b":"x"}' '{"b":"x"}' '{"b":"x"}' '{"a":"1","b":"x"}' >u.jsonl
	capture dh-check -e 'unique(a,b)' u.jsonl
	assert_status 1
	assert_out 'u.jsonl: unique(a,b): FAIL, 1 of 4 unexpected (25%)
  u.jsonl:3: {"a":1,"b":"x"}'
	# the JSON number 1 and the string "1" are two values
	capture dh-check -e 'unique(a)' u.jsonl
	assert_status 1
	assert_out 'u.jsonl: unique(a): FAIL, 2 of 4 unexpected (50%)
  u.jsonl:2: {"a":1,"b":"y"}
  u.jsonl:3: {"a":1,"b":"x"}'
	# a compound key is not its values' text run together
	printf '{"a":"x,y","b":"z"}\n{"a":"x","b":"y,z"}\n{"a":"xy","b":"z"}\n{"a":"x","b":"yz"}\n' >v.jsonl
	capture dh-check -e 'unique(a, b)' v.jsonl
	assert_status 0
	assert_out 'v.jsonl: unique(a,b): pass, 0 of 4 unexpected'
}

@test "between: inclusive, an empty bound is none, a value not a number is unexpected" {
	printf '{"p":0}\n{"p":10}\n{"p":10.5}\n{"p":-1}\n{"p":"x"}\n{"p":true}\n{"p":null}\n{"q":1}\n' >b.jsonl
	capture dh-check -e 'between(p,0,10)' b.jsonl
	assert_status 1
	assert_out 'b.jsonl: between(p,0,10): FAIL, 4 of 6 unexpected (66.67%)
  b.jsonl:3: {"p":10.5}
  b.jsonl:4: {"p":-1}
  b.jsonl:5: {"p":"x"}
  b.jsonl:6: {"p":true}'
	capture dh-check -e 'between(p,,10)' b.jsonl
	assert_status 1
	assert_out 'b.jsonl: between(p,,10): FAIL, 3 of 6 unexpected (50%)
  b.jsonl:3: {"p":10.5}
  b.jsonl:5: {"p":"x"}
  b.jsonl:6: {"p":true}'
	capture dh-check -e 'between(p, 0 ,)' b.jsonl
	assert_status 1
	assert_out 'b.jsonl: between(p,0,): FAIL, 3 of 6 unexpected (50%)
  b.jsonl:4: {"p":-1}
  b.jsonl:5: {"p":"x"}
  b.jsonl:6: {"p":true}'
	# integers beyond a double's 53 bits compare exactly
	printf '{"v":9007199254740993}\n{"v":9007199254740992}\n' >big.jsonl
	capture dh-check -e 'between(v,,9007199254740992)' big.jsonl
	assert_status 1
	assert_out 'big.jsonl: between(v,,9007199254740992): FAIL, 1 of 2 unexpected (50%)
  big.jsonl:1: {"v":9007199254740993}'
}

@test "match: an ERE searched in the value, anchors hold it whole; a number's text" {
	printf '{"c":"abc"}\n{"c":"xabc"}\n{"c":"abcx"}\n{"c":12}\n' >m.jsonl
	capture dh-check -e "match(c,'^abc')" -e "match(c,'abc\$')" -e "match(c,'^abc\$')" -e 'match(c,b)' m.jsonl
	assert_status 1
	assert_out "m.jsonl: match(c,'^abc'): FAIL, 2 of 4 unexpected (50%)
  m.jsonl:2: {\"c\":\"xabc\"}
  m.jsonl:4: {\"c\":12}
m.jsonl: match(c,'abc\$'): FAIL, 2 of 4 unexpected (50%)
  m.jsonl:3: {\"c\":\"abcx\"}
  m.jsonl:4: {\"c\":12}
m.jsonl: match(c,'^abc\$'): FAIL, 3 of 4 unexpected (75%)
  m.jsonl:2: {\"c\":\"xabc\"}
  m.jsonl:3: {\"c\":\"abcx\"}
  m.jsonl:4: {\"c\":12}
m.jsonl: match(c,'b'): FAIL, 1 of 4 unexpected (25%)
  m.jsonl:4: {\"c\":12}"
	capture dh-check -e "match(c,'^[0-9]+\$|^x?abc')" m.jsonl
	assert_status 0
	assert_out "m.jsonl: match(c,'^[0-9]+\$|^x?abc'): pass, 0 of 4 unexpected"
}

@test "in: a quoted value holding a comma, a doubled quote; values compared as text" {
	printf '{"c":"a,b"}\n{"c":"a"}\n{"c":"b"}\n{"c":12}\n{"c":"it'"'"'s"}\n{"c":null}\n' >i.jsonl
	capture dh-check -e "in(c,'a,b',12,\"it's\")" i.jsonl
	assert_status 1
	assert_out "i.jsonl: in(c,'a,b',12,'it''s'): FAIL, 2 of 5 unexpected (40%)
  i.jsonl:2: {\"c\":\"a\"}
  i.jsonl:3: {\"c\":\"b\"}"
	capture dh-check -e "in(c, 'a,b', a, b, '12', 'it''s')" i.jsonl
	assert_status 0
	assert_out "i.jsonl: in(c,'a,b',a,b,12,'it''s'): pass, 0 of 5 unexpected"
}

@test "type: JSON values by their JSON type; CSV text is a string, and a number or bool when it is one" {
	printf '{"n":"12"}\n{"n":12}\n{"n":1.5}\n{"n":true}\n{"n":{}}\n{"n":[]}\n' >t.jsonl
	capture dh-check --samples 0 -e 'type(n,number)' -e 'type(n,string)' -e 'type(n,bool)' \
		-e 'type(n,object)' -e 'type(n,array)' t.jsonl
	assert_status 1
	assert_out 't.jsonl: type(n,number): FAIL, 4 of 6 unexpected (66.67%)
t.jsonl: type(n,string): FAIL, 5 of 6 unexpected (83.33%)
t.jsonl: type(n,bool): FAIL, 5 of 6 unexpected (83.33%)
t.jsonl: type(n,object): FAIL, 5 of 6 unexpected (83.33%)
t.jsonl: type(n,array): FAIL, 5 of 6 unexpected (83.33%)'
	capture dh-check -e 'type(n,number)' t.jsonl
	assert_out 't.jsonl: type(n,number): FAIL, 4 of 6 unexpected (66.67%)
  t.jsonl:1: {"n":"12"}
  t.jsonl:4: {"n":true}
  t.jsonl:5: {"n":{}}
  t.jsonl:6: {"n":[]}'
	printf 'n\n12\n1.5\ntrue\nabc\n' >t.csv
	capture dh-check -e 'type(n,number)' -e 'type(n,string)' -e 'type(n,bool)' t.csv
	assert_status 1
	assert_out 't.csv: type(n,number): FAIL, 2 of 4 unexpected (50%)
  t.csv:4: true
  t.csv:5: abc
t.csv: type(n,string): pass, 0 of 4 unexpected
t.csv: type(n,bool): FAIL, 3 of 4 unexpected (75%)
  t.csv:2: 12
  t.csv:3: 1.5
  t.csv:5: abc'
}

@test "CSV: an empty field is null for not_null, and between skips it" {
	printf 'id,n\n1,5\n2,\n3,10\n4,11\n' >c.csv
	capture dh-check -e 'not_null(n)' -e 'between(n,5,10)' -e 'exists(n)' c.csv
	assert_status 1
	assert_out 'c.csv: not_null(n): FAIL, 1 of 4 unexpected (25%)
  c.csv:3: 2,
c.csv: between(n,5,10): FAIL, 1 of 3 unexpected (33.33%)
  c.csv:5: 4,11
c.csv: exists(n): pass, 0 of 4 unexpected'
	# the sample is the record's line: a quoted newline, CRLF
	printf 'a,b\r\n"x\r\ny",1\r\nq,\r\n' >crlf.csv
	capture dh-check -e 'not_null(b)' crlf.csv
	assert_status 1
	assert_out 'crlf.csv: not_null(b): FAIL, 1 of 2 unexpected (50%)
  crlf.csv:4: q,'
}

@test "rows: MIN and MAX, an empty MAX; it counts every record" {
	printf '{"a":1}\n{"a":null}\n{}\n' >r.jsonl
	capture dh-check -e 'rows(1,3)' -e 'rows(3,)' -e 'rows(,2)' -e 'rows(4,)' -e 'rows(,)' r.jsonl
	assert_status 1
	assert_out 'r.jsonl: rows(1,3): pass, 3 records
r.jsonl: rows(3,): pass, 3 records
r.jsonl: rows(,2): FAIL, 3 records
r.jsonl: rows(4,): FAIL, 3 records
r.jsonl: rows(,): pass, 3 records'
	capture dh-check -e 'rows(1,1)' -e 'rows(3,)' /dev/null
	assert_status 1
	assert_out '/dev/null: rows(1,1): FAIL, 0 records
/dev/null: rows(3,): FAIL, 0 records'
	printf '{"a":1}\n' >one.jsonl
	capture dh-check -e 'rows(1,1)' one.jsonl
	assert_status 0
	assert_out 'one.jsonl: rows(1,1): pass, 1 record'
}

@test "mostly: 1 bad in 100 passes at 0.99 and fails at 0.995; as a last argument too" {
	hundred
	capture dh-check --samples 1 -e 'not_null(v) mostly=0.99' h.jsonl
	assert_status 0
	assert_out 'h.jsonl: not_null(v) mostly=0.99: pass, 1 of 100 unexpected (1%)
  h.jsonl:100: {"v":null}'
	capture dh-check --samples 1 -e 'not_null(v) mostly=0.995' h.jsonl
	assert_status 1
	assert_out 'h.jsonl: not_null(v) mostly=0.995: FAIL, 1 of 100 unexpected (1%)
  h.jsonl:100: {"v":null}'
	# 97 of 99 held (a null is not held) is 0.9798
	capture dh-check --samples 0 -e 'not_null(v,mostly=.990)' -e 'between(v,1,97, mostly=0.97)' \
		-e 'between(v,1,97) mostly=0.99' h.jsonl
	assert_status 1
	assert_out 'h.jsonl: not_null(v) mostly=0.99: pass, 1 of 100 unexpected (1%)
h.jsonl: between(v,1,97) mostly=0.97: pass, 2 of 99 unexpected (2.02%)
h.jsonl: between(v,1,97) mostly=0.99: FAIL, 2 of 99 unexpected (2.02%)'
	# mostly=0 passes anything; no record held passes
	capture dh-check -e 'exists(zz) mostly=0' -e 'between(zz,1,2)' h.jsonl
	assert_status 0
	assert_out 'h.jsonl: exists(zz) mostly=0: pass, 100 of 100 unexpected (100%)
  h.jsonl:1: {"v":1}
  h.jsonl:2: {"v":2}
  h.jsonl:3: {"v":3}
  h.jsonl:4: {"v":4}
  h.jsonl:5: {"v":5}
h.jsonl: between(zz,1,2): pass, 0 of 0 unexpected'
}

# ---- samples, JSON, rules, errors, inputs ----

@test "--samples: 5 by default, 0 and 2; each names its file and line" {
	hundred
	capture dh-check -e 'between(v,1,50)' h.jsonl
	assert_status 1
	assert_out 'h.jsonl: between(v,1,50): FAIL, 49 of 99 unexpected (49.49%)
  h.jsonl:51: {"v":51}
  h.jsonl:52: {"v":52}
  h.jsonl:53: {"v":53}
  h.jsonl:54: {"v":54}
  h.jsonl:55: {"v":55}'
	capture dh-check --samples 0 -e 'between(v,1,50)' h.jsonl
	assert_status 1
	assert_out 'h.jsonl: between(v,1,50): FAIL, 49 of 99 unexpected (49.49%)'
	capture dh-check --samples 2 -e 'between(v,1,50)' -e 'not_null(v)' h.jsonl
	assert_status 1
	assert_out 'h.jsonl: between(v,1,50): FAIL, 49 of 99 unexpected (49.49%)
  h.jsonl:51: {"v":51}
  h.jsonl:52: {"v":52}
h.jsonl: not_null(v): FAIL, 1 of 100 unexpected (1%)
  h.jsonl:100: {"v":null}'
	capture dh-check --samples -1 -e 'not_null(v)' h.jsonl
	assert_status 2
	assert_err "dh-check: --samples: not a non-negative integer: '-1'
Try 'dh-check --help' for more information."
	# two files: each sample names its own; each file is an input
	printf '{"v":null}\n' >g.jsonl
	capture dh-check --samples 1 -e 'not_null(v)' g.jsonl h.jsonl
	assert_status 1
	assert_out 'g.jsonl: not_null(v): FAIL, 1 of 1 unexpected (100%)
  g.jsonl:1: {"v":null}
h.jsonl: not_null(v): FAIL, 1 of 100 unexpected (1%)
  h.jsonl:100: {"v":null}'
}

@test "--samples: for a partition or a table the file is its path below the state directory" {
	hub
	capture dh-check -s st --no-record -e 'not_null(u)' raw/x/dt=2026-11-18
	assert_status 1
	assert_out 'raw/x/dt=2026-11-18: not_null(u): FAIL, 1 of 2 unexpected (50%)
  raw/x/dt=2026-11-18/part-00000.jsonl:2: {"dt":"2026-11-18","v":2,"u":null}'
	capture dh-check -s st -e 'not_null(u)' -e 'rows(3,3)' raw/x
	assert_status 1
	assert_out 'raw/x: not_null(u): FAIL, 1 of 3 unexpected (33.33%)
  raw/x/dt=2026-11-18/part-00000.jsonl:2: {"dt":"2026-11-18","v":2,"u":null}
raw/x: rows(3,3): pass, 3 records'
	# a data file named as a file is a file
	capture dh-check -s st -e 'not_null(u)' st/raw/x/dt=2026-11-18/part-00000.jsonl
	assert_status 1
	assert_out 'st/raw/x/dt=2026-11-18/part-00000.jsonl: not_null(u): FAIL, 1 of 2 unexpected (50%)
  st/raw/x/dt=2026-11-18/part-00000.jsonl:2: {"dt":"2026-11-18","v":2,"u":null}'
	capture dh-check -s st -e 'not_null(u)' nothing.jsonl
	assert_status 2
	assert_err "dh-check: no table or partition 'nothing.jsonl' in st, and no such file"
	assert_out_empty
}

@test "--json: one object an expectation, with its samples" {
	hundred
	capture dh-check --json --samples 2 -e 'between(v,1,50) mostly=0.25' -e 'rows(1,)' -e 'not_null(v)' h.jsonl
	assert_status 1
	assert_err_empty
	[ "$(wc -l <"$DH_OUT")" -eq 3 ] || fail "not 3 lines" "$(_dh_seen)"
	jq -e . "$DH_OUT" >/dev/null || fail "not JSON" "$(_dh_seen)"
	[ "$(jq -c 'select(.expect == "between(v,1,50) mostly=0.25") | [.input, .ok, .records, .held, .unexpected, .mostly, (.percent * 1000 | round)]' "$DH_OUT")" = \
		'["h.jsonl",true,100,99,49,0.25,49495]' ] || fail "between" "$(_dh_seen)"
	[ "$(jq -c 'select(.expect == "between(v,1,50) mostly=0.25") | .samples' "$DH_OUT")" = \
		'[{"file":"h.jsonl","line":51,"record":"{\"v\":51}"},{"file":"h.jsonl","line":52,"record":"{\"v\":52}"}]' ] ||
		fail "samples" "$(_dh_seen)"
	[ "$(jq -c 'select(.expect == "not_null(v)") | [.ok, .held, .unexpected, .percent, .mostly, .samples[0].line]' "$DH_OUT")" = \
		'[false,100,1,1,1,100]' ] || fail "not_null" "$(_dh_seen)"
	# rows: no held, unexpected, percent or mostly
	[ "$(jq -c 'select(.expect == "rows(1,)") | [keys_unsorted, .ok, .records]' "$DH_OUT")" = \
		'[["input","expect","ok","records","samples"],true,100]' ] || fail "rows" "$(_dh_seen)"
	[ "$(jq -c 'select(.expect == "not_null(v)") | keys_unsorted' "$DH_OUT")" = \
		'["input","expect","ok","records","held","unexpected","percent","mostly","samples"]' ] ||
		fail "members" "$(_dh_seen)"
	capture dh-check --json --samples 0 -e 'not_null(v)' h.jsonl
	assert_status 1
	assert_out '{"input":"h.jsonl","expect":"not_null(v)","ok":false,"records":100,"held":100,"unexpected":1,"percent":1,"mostly":1,"samples":[]}'
	# a record's bytes that are not UTF-8: U+FFFD in the JSON; as read in the text
	printf 'a,b\n\377x,\n' >l1.csv
	capture dh-check --json -e 'not_null(b)' l1.csv
	assert_status 1
	assert_out $'{"input":"l1.csv","expect":"not_null(b)","ok":false,"records":1,"held":1,"unexpected":1,"percent":100,"mostly":1,"samples":[{"file":"l1.csv","line":2,"record":"\xef\xbf\xbdx,"}]}'
	capture dh-check -e 'not_null(b)' l1.csv
	assert_status 1
	assert_out $'l1.csv: not_null(b): FAIL, 1 of 1 unexpected (100%)\n  l1.csv:2: \377x,'
}

@test "-r FILE: comments, blank lines, CRLF; with -e too" {
	printf '{"id":1,"u":"a"}\n{"id":2,"u":null}\n' >d.jsonl
	printf '# rules for d\n\nnot_null(id)\n   # an indented comment\n\t\nrows(1,)\r\n  not_null(u) mostly=0.5\n' >rules.txt
	capture dh-check -r rules.txt -e 'exists(u)' d.jsonl
	assert_status 0
	assert_out 'd.jsonl: exists(u): pass, 0 of 2 unexpected
d.jsonl: not_null(id): pass, 0 of 2 unexpected
d.jsonl: rows(1,): pass, 2 records
d.jsonl: not_null(u) mostly=0.5: pass, 1 of 2 unexpected (50%)
  d.jsonl:2: {"id":2,"u":null}'
	assert_err_empty
	# '#' inside a quoted argument is no comment
	printf "match(u,'^#?a')\n" >hash.txt
	capture dh-check --samples 0 -r hash.txt d.jsonl
	assert_status 0
	assert_out "d.jsonl: match(u,'^#?a'): pass, 0 of 1 unexpected"
	# a '#' after an expectation is no comment
	printf 'not_null(id)\n\n\n\nnot_null(u)  # the user\n' >trail.txt
	capture dh-check -r trail.txt d.jsonl
	assert_status 2
	assert_out_empty
	assert_err 'dh-check: trail.txt:5: column 14: expected the end, or mostly=FRACTION'
	printf '# nothing\n\n' >empty.txt
	capture dh-check -r empty.txt d.jsonl
	assert_status 2
	assert_err "dh-check: -r: no expectation in empty.txt
Try 'dh-check --help' for more information."
	capture dh-check -r missing.txt d.jsonl
	assert_status 4
	assert_err 'dh-check: missing.txt: No such file or directory'
}

@test "-r FILE: a malformed line is exit 2 naming FILE:LINE and the column" {
	printf '{"id":1}\n' >d.jsonl
	printf '# rules\nnot_null(id)\n\n  not_null(x\n' >bad.txt
	capture dh-check -r bad.txt d.jsonl
	assert_status 2
	assert_err "dh-check: bad.txt:4: column 13: expected ',' or ')'"
	assert_out_empty
	printf 'not_null(id)\nbetween(id,5,1)\n' >bad2.txt
	capture dh-check -r bad2.txt d.jsonl
	assert_status 2
	assert_err 'dh-check: bad2.txt:2: column 1: between: the low bound 5 is above the high 1'
	printf 'not_null(id) mostly=1.5\n' >bad3.txt
	capture dh-check -r bad3.txt d.jsonl
	assert_status 2
	assert_err 'dh-check: bad3.txt:1: column 21: mostly must be a fraction from 0 to 1, not "1.5"'
}

@test "-e: a malformed expectation is exit 2 with its column" {
	printf '{"x":1}\n' >d.jsonl
	t="Try 'dh-check --help' for more information."
	check() {
		capture dh-check -e "$1" d.jsonl
		assert_status 2
		assert_out_empty
		assert_err "dh-check: -e \"$1\": $2
$t"
	}
	check 'nonnull(x)' 'column 1: unknown expectation "nonnull" (not_null, exists, unique, between, match, in, type or rows)'
	check '  is_null(x)' 'column 3: unknown expectation "is_null" (not_null, exists, unique, between, match, in, type or rows)'
	check "match(x,'abc" 'column 9: a quote that does not close'
	check 'not_null(x) mostly=2' 'column 20: mostly must be a fraction from 0 to 1, not "2"'
	check 'not_null(x) mostly=-0.1' 'column 20: mostly must be a fraction from 0 to 1, not "-0.1"'
	check 'rows(1,2) mostly=0.5' 'column 1: rows counts the whole input: it takes no mostly'
	check 'rows(1,2,mostly=0.5)' 'column 1: rows counts the whole input: it takes no mostly'
	check 'between(x,5,1)' 'column 1: between: the low bound 5 is above the high 1'
	check 'between(x,a,1)' 'column 1: between: not a number: "a"'
	check "match(x,'a[')" 'column 1: match: not a regular expression: Invalid regular expression'
	check 'type(x,float)' 'column 1: type: no type "float" (string, number, bool, object or array)'
	check 'type(x,integer)' 'column 1: type: no type "integer" (string, number, bool, object or array)'
	check 'not_null x' "column 10: expected '(' after not_null"
	check 'not_null(x) junk' 'column 13: expected the end, or mostly=FRACTION'
	check 'not_null()' 'column 10: expected an argument'
	check 'not_null(x,y)' 'column 1: not_null takes 1 argument, not 2'
	check 'in(x)' 'column 1: in takes at least 2 arguments, not 1'
	check 'rows(-1,)' 'column 1: rows: not a count: "-1"'
	check 'rows(1.5,)' 'column 1: rows: not a count: "1.5"'
	check '' 'column 1: expected an expectation: not_null, exists, unique, between, match, in, type or rows'
	# a double quote in the text is escaped in the message
	capture dh-check -e 'in(x,"a,b)' d.jsonl
	assert_status 2
	assert_err "dh-check: -e \"in(x,\\\"a,b)\": column 6: a quote that does not close
$t"
}

@test "a FILE operand without a state directory: the same report, nothing on stderr" {
	rmdir state
	printf '{"a":1}\n{"a":null}\n' >f.jsonl
	capture dh-check -e 'not_null(a)' -e 'rows(1,)' f.jsonl
	assert_status 1
	assert_out 'f.jsonl: not_null(a): FAIL, 1 of 2 unexpected (50%)
  f.jsonl:2: {"a":null}
f.jsonl: rows(1,): pass, 2 records'
	assert_err_empty
	capture dh-check --profile f.jsonl
	assert_status 0
	assert_out 'f.jsonl: 2 records
field  type     nulls    distinct  min  max  samples
a      integer  1 (50%)  1         1    1    1'
	assert_err_empty
}

@test "a FILE operand that does not exist, without a state directory: a usage error naming it" {
	rmdir state
	capture dh-check -e 'not_null(a)' nothing.jsonl
	assert_status 2
	assert_out_empty
	assert_err "dh-check: no such file 'nothing.jsonl', and no state directory state"
}

@test "standard input: no operand, and -" {
	capture sh -c "printf '{\"a\":1}\n{\"a\":null}\n' | dh-check -e 'not_null(a)'"
	assert_status 1
	assert_out '-: not_null(a): FAIL, 1 of 2 unexpected (50%)
  -:2: {"a":null}'
	capture sh -c "printf 'a,b\n1,\n2,3\n' | dh-check -f csv -e 'not_null(b)' -"
	assert_status 1
	assert_out '-: not_null(b): FAIL, 1 of 2 unexpected (50%)
  -:2: 1,'
	printf '{"a":null}\n' >f.jsonl
	capture sh -c "printf '{\"a\":1}\n' | dh-check -e 'not_null(a)' - f.jsonl"
	assert_status 1
	assert_out '-: not_null(a): pass, 0 of 1 unexpected
f.jsonl: not_null(a): FAIL, 1 of 1 unexpected (100%)
  f.jsonl:1: {"a":null}'
	capture sh -c ": | dh-check -e 'not_null(a)' -e 'rows(1,)'"
	assert_status 1
	assert_out '-: not_null(a): pass, 0 of 0 unexpected
-: rows(1,): FAIL, 0 records'
}

# ---- results recorded into a partition's manifest ----

@test "recording: a checks array in the manifest; the same expectation replaced, another added" {
	hub
	m=st/raw/x/dt=2026-11-18/_MANIFEST
	cp $m before
	capture dh-check -s st -e 'not_null(u)' raw/x/dt=2026-11-18
	assert_status 1
	assert_err_empty
	[ "$(jq -c '.checks | map(del(.checked, .dh_version))' $m)" = \
		'[{"expect":"not_null(u)","ok":false,"records":2,"held":2,"unexpected":1,"percent":50,"mostly":1}]' ] ||
		fail "checks: $(cat $m)"
	[[ $(jq -r '.checks[0].checked' $m) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
		fail "checked: $(cat $m)"
	[ "$(jq -r '.checks[0].dh_version' $m)" = "$(jq -r .dh_version before)" ] || fail "dh_version"
	# the manifest is as it was, with the member added after the last
	[ "$(jq -c 'del(.checks)' $m)" = "$(jq -c . before)" ] || fail "manifest changed"
	head -c $(($(stat -c %s before) - 3)) before >prefix
	cmp -s prefix <(head -c "$(stat -c %s prefix)" $m) || fail "not appended: $(cat $m)"
	# the same expectation (as normalised) again: replaced
	capture dh-check -s st -e 'not_null( u )' raw/x/dt=2026-11-18
	assert_status 1
	[ "$(jq -c '[.checks[].expect]' $m)" = '["not_null(u)"]' ] || fail "$(cat $m)"
	# another: added after; a third run of the first keeps the other
	capture dh-check -s st -e 'rows(1,5)' raw/x/dt=2026-11-18
	assert_status 0
	[ "$(jq -c '[.checks[] | [.expect, .ok]]' $m)" = '[["not_null(u)",false],["rows(1,5)",true]]' ] ||
		fail "$(cat $m)"
	[ "$(jq -c '.checks[1] | keys_unsorted' $m)" = '["expect","ok","records","checked","dh_version"]' ] ||
		fail "$(cat $m)"
	capture dh-check -s st -e 'not_null(u) mostly=0.5' -e 'not_null(u)' raw/x/dt=2026-11-18
	assert_status 1
	[ "$(jq -c '[.checks[] | [.expect, .ok]]' $m)" = \
		'[["rows(1,5)",true],["not_null(u) mostly=0.5",true],["not_null(u)",false]]' ] || fail "$(cat $m)"
	# only that partition; nothing left behind
	[ "$(jq 'has("checks")' st/raw/x/dt=2026-11-19/_MANIFEST)" = false ] || fail "the other partition"
	state_ok st
	no_temp st
	# a manifest not laid out as dh writes it: the results cannot be recorded
	m=st/raw/x/dt=2026-11-19/_MANIFEST
	jq -c . $m >t && mv t $m && cp $m before
	capture dh-check -s st -e 'rows(1,)' raw/x/dt=2026-11-19
	assert_status 4
	assert_err 'dh-check: cannot record the results: st/raw/x/dt=2026-11-19/_MANIFEST: not laid out as dh writes it'
	cmp before $m || fail "changed"
	no_temp st
}

@test "recording: an expectation given twice in one run is recorded once" {
	hub
	m=st/raw/x/dt=2026-11-19/_MANIFEST
	capture dh-check -s st -e 'rows(1,)' -e 'rows( 1 , )' raw/x/dt=2026-11-19
	assert_status 0
	assert_out 'raw/x/dt=2026-11-19: rows(1,): pass, 1 record
raw/x/dt=2026-11-19: rows(1,): pass, 1 record'
	[ "$(jq -c '[.checks[].expect]' $m)" = '["rows(1,)"]' ] || fail "$(cat $m)"
}

@test "recording does not make a downstream partition stale; the integrity check passes" {
	hub
	printf 'cat\n' >t.sh
	dh-partition -s st -p day=1 --from t.sh --from st/raw/x/dt=2026-11-18 clean/y \
		st/raw/x/dt=2026-11-18 >/dev/null
	capture dh-ls -s st --stale
	assert_status 0
	assert_out_empty
	capture dh-check -s st -e 'not_null(u)' -e 'rows(1,)' raw/x/dt=2026-11-18
	assert_status 1
	[ "$(jq '.checks | length' st/raw/x/dt=2026-11-18/_MANIFEST)" -eq 2 ] || fail "not recorded"
	capture dh-ls -s st --stale
	assert_status 0
	assert_out_empty
	capture dh-check -s st
	assert_status 0
	assert_out_empty
	assert_err "dh-check: 3 partitions checked: 0 problems"
	capture dh-check -s st clean/y
	assert_status 0
	assert_err "dh-check: 1 partition checked: 0 problems"
	# recording into the downstream partition too; still clean
	capture dh-check -s st -e 'rows(2,2)' clean/y/day=1
	assert_status 0
	assert_out 'clean/y/day=1: rows(2,2): pass, 2 records'
	capture dh-check -s st
	assert_status 0
	assert_err "dh-check: 3 partitions checked: 0 problems"
	# the test can fail: a changed input is stale
	echo x >>t.sh
	capture dh-ls -s st --stale
	assert_out 'clean/y/day=1'
}

@test "--no-record and a table operand leave every manifest as it was" {
	hub
	for d in 18 19; do cp st/raw/x/dt=2026-11-$d/_MANIFEST m$d; done
	capture dh-check -s st --no-record -e 'not_null(u)' raw/x/dt=2026-11-18
	assert_status 1
	assert_out 'raw/x/dt=2026-11-18: not_null(u): FAIL, 1 of 2 unexpected (50%)
  raw/x/dt=2026-11-18/part-00000.jsonl:2: {"dt":"2026-11-18","v":2,"u":null}'
	cmp m18 st/raw/x/dt=2026-11-18/_MANIFEST || fail "--no-record recorded"
	capture dh-check -s st -e 'rows(1,)' raw/x
	assert_status 0
	assert_out 'raw/x: rows(1,): pass, 3 records'
	cmp m18 st/raw/x/dt=2026-11-18/_MANIFEST || fail "a table operand recorded"
	cmp m19 st/raw/x/dt=2026-11-19/_MANIFEST || fail "a table operand recorded"
	# --profile records nothing either
	capture dh-check -s st --profile raw/x/dt=2026-11-18
	assert_status 0
	cmp m18 st/raw/x/dt=2026-11-18/_MANIFEST || fail "--profile recorded"
	# --json of a partition: the input is its path, samples name its file
	capture dh-check -s st --json --no-record -e 'not_null(u)' raw/x/dt=2026-11-18
	assert_status 1
	assert_out '{"input":"raw/x/dt=2026-11-18","expect":"not_null(u)","ok":false,"records":2,"held":2,"unexpected":1,"percent":50,"mostly":1,"samples":[{"file":"raw/x/dt=2026-11-18/part-00000.jsonl","line":2,"record":"{\"dt\":\"2026-11-18\",\"v\":2,\"u\":null}"}]}'
	cmp m18 st/raw/x/dt=2026-11-18/_MANIFEST || fail "--json --no-record recorded"
}

@test "recording needs the table's lock: exit 5; --no-record and a table operand do not" {
	hub
	m=st/raw/x/dt=2026-11-18/_MANIFEST
	cp $m before
	flock st/raw/x/_LOCK sleep 5 >/dev/null 2>&1 3>&- &
	holder=$!
	for _ in $(seq 100); do
		flock -n st/raw/x/_LOCK true || break
		sleep 0.05
	done
	! flock -n st/raw/x/_LOCK true || fail "the lock is not held"
	capture dh-check -s st -e 'not_null(u)' raw/x/dt=2026-11-18
	assert_status 5
	assert_out_empty
	assert_err 'dh-check: table raw/x is being written by another process (st/raw/x/_LOCK is locked; use --wait SECS to wait)'
	cmp before $m || fail "recorded without the lock"
	capture dh-check -s st --no-record -e 'not_null(u)' raw/x/dt=2026-11-18
	assert_status 1
	assert_out 'raw/x/dt=2026-11-18: not_null(u): FAIL, 1 of 2 unexpected (50%)
  raw/x/dt=2026-11-18/part-00000.jsonl:2: {"dt":"2026-11-18","v":2,"u":null}'
	capture dh-check -s st --no-record -e 'rows(1,)' raw/x/dt=2026-11-18
	assert_status 0
	capture dh-check -s st -e 'rows(1,)' raw/x
	assert_status 0
	assert_out 'raw/x: rows(1,): pass, 3 records'
	cmp before $m || fail "recorded"
	kill $(pgrep -P "$holder") "$holder" 2>/dev/null || true
	wait "$holder" || true
	holder=
	capture dh-check -s st -e 'rows(1,)' raw/x/dt=2026-11-18
	assert_status 0
	[ "$(jq -c '[.checks[].expect]' $m)" = '["rows(1,)"]' ] || fail "$(cat $m)"
}

@test "an incomplete partition operand: exit 3 naming --allow-incomplete; with it the partition is read" {
	hub
	rm st/raw/x/dt=2026-11-19/_SUCCESS
	cp st/raw/x/dt=2026-11-19/_MANIFEST before
	capture dh-check -s st -e 'rows(1,)' raw/x/dt=2026-11-19
	assert_status 3
	assert_out_empty
	assert_err 'dh-check: st/raw/x/dt=2026-11-19: the partition is incomplete: it has no _SUCCESS (use --allow-incomplete to read it anyway)'
	cmp before st/raw/x/dt=2026-11-19/_MANIFEST || fail "recorded into an incomplete partition"
	capture dh-check -s st --no-record --allow-incomplete -e 'rows(1,)' raw/x/dt=2026-11-19
	assert_status 0
	assert_out 'raw/x/dt=2026-11-19: rows(1,): pass, 1 record'
	# a table operand: its complete partitions only
	capture dh-check -s st -e 'rows(1,)' raw/x
	assert_status 0
	assert_out 'raw/x: rows(1,): pass, 2 records'
}

@test "a bad record: exit 3 naming file and line; --rejects sets it aside and goes on" {
	printf '{"a":1}\n{"a":2\n{"a":null}\n' >b.jsonl
	capture dh-check -e 'not_null(a)' b.jsonl
	assert_status 3
	assert_out_empty
	assert_err "dh-check: b.jsonl:2: invalid JSON at column 6: '}' expected near end of file"
	capture dh-check -e 'not_null(a)' --rejects r.jsonl b.jsonl
	assert_status 1
	assert_out 'b.jsonl: not_null(a): FAIL, 1 of 2 unexpected (50%)
  b.jsonl:3: {"a":null}'
	assert_err 'dh-check: 1 bad record written to r.jsonl'
	[ "$(jq -c '[.file, .line, .record]' r.jsonl)" = '["b.jsonl",2,"{\"a\":2"]' ] || fail "$(cat r.jsonl)"
	# a bad record set aside counts for no rows; appended to the rejects
	capture dh-check -e 'rows(3,)' --rejects r.jsonl b.jsonl
	assert_status 1
	assert_out 'b.jsonl: rows(3,): FAIL, 2 records'
	[ "$(jq -c .line r.jsonl | tr '\n' ' ')" = '2 2 ' ] || fail "$(cat r.jsonl)"
	# in a partition: named by its path below the state directory
	hub
	printf '{"u":\n' >>st/raw/x/dt=2026-11-19/part-00000.jsonl
	cp st/raw/x/dt=2026-11-19/_MANIFEST before
	capture dh-check -s st -e 'not_null(u)' raw/x/dt=2026-11-19
	assert_status 3
	assert_out_empty
	assert_err 'dh-check: raw/x/dt=2026-11-19/part-00000.jsonl:2: invalid JSON at column 5: unexpected token near end of file'
	cmp before st/raw/x/dt=2026-11-19/_MANIFEST || fail "recorded after a bad record"
}

# ---- --profile ----

@test "--profile: the header and a row a field, aligned" {
	printf '%s\n' '{"n":3,"f":1,"m":1,"s":"b","e":null}' '{"n":10,"f":2.5,"m":"x","s":"a"}' \
		'{"n":-2,"f":1,"m":true,"s":"c","e":null}' '{"n":null,"f":-0.5,"m":2,"s":"b"}' >p.jsonl
	capture dh-check --profile p.jsonl
	assert_status 0
	assert_err_empty
	assert_out 'p.jsonl: 4 records
field  type                 nulls     distinct  min   max  samples
n      integer              1 (25%)   3         -2    10   3, 10, -2
f      number               0 (0%)    3         -0.5  2.5  1, 2.5, -0.5
m      bool,integer,string  0 (0%)    4         "1"   "x"  1, "x", true
s      string               0 (0%)    3         "a"   "c"  "b", "a", "c"
e      null                 4 (100%)  0         -     -    '
	# CSV: numbers by their text; an empty field a null
	printf 'n,s\n3,b\n10,\n-2,a\n' >p.csv
	capture dh-check --profile p.csv
	assert_status 0
	assert_out 'p.csv: 3 records
field  type     nulls      distinct  min  max  samples
n      integer  0 (0%)     3         -2   10   "3", "10", "-2"
s      string   1 (33.3%)  2         "a"  "b"  "b", "a"'
	# with expectations: both reports
	capture dh-check --profile -e 'rows(3,)' p.csv
	assert_status 0
	assert_out 'p.csv: rows(3,): pass, 3 records
p.csv: 3 records
field  type     nulls      distinct  min  max  samples
n      integer  0 (0%)     3         -2   10   "3", "10", "-2"
s      string   1 (33.3%)  2         "a"  "b"  "b", "a"'
}

@test "--profile --json: types, null rate, distinct, least and greatest" {
	printf '%s\n' '{"n":3,"f":1,"m":1,"s":"10","e":null}' '{"n":10,"f":2.5,"m":"x","s":"9"}' \
		'{"n":-2,"f":1,"m":true,"s":"100","e":null}' '{"n":null,"f":-0.5,"m":2}' >p.jsonl
	capture dh-check --profile --json p.jsonl
	assert_status 0
	[ "$(wc -l <"$DH_OUT")" -eq 5 ] || fail "not a line a field" "$(_dh_seen)"
	[ "$(jq -c 'select(.field == "n")' "$DH_OUT")" = \
		'{"input":"p.jsonl","field":"n","type":"integer","records":4,"nulls":1,"null_rate":0.25,"distinct":3,"kinds":{"integer":3},"min":-2,"max":10,"samples":[3,10,-2]}' ] ||
		fail "n" "$(_dh_seen)"
	# integers and other numbers: number, least and greatest as numbers
	[ "$(jq -c 'select(.field == "f") | [.type, .kinds, .min, .max]' "$DH_OUT")" = \
		'["number",{"integer":2,"number":2},-0.5,2.5]' ] || fail "f" "$(_dh_seen)"
	# mixed kinds: joined in name order; least and greatest as text, in byte order
	[ "$(jq -c 'select(.field == "m") | [.type, .kinds, .min, .max, .distinct]' "$DH_OUT")" = \
		'["bool,integer,string",{"bool":1,"integer":2,"string":1},"1","x",4]' ] || fail "m" "$(_dh_seen)"
	# strings of digits are strings: "10" < "100" < "9"
	[ "$(jq -c 'select(.field == "s") | [.type, .nulls, .null_rate, .min, .max]' "$DH_OUT")" = \
		'["string",1,0.25,"10","9"]' ] || fail "s" "$(_dh_seen)"
	[ "$(jq -c 'select(.field == "e") | [.type, .nulls, .null_rate, .distinct, .min, .max, .samples]' "$DH_OUT")" = \
		'["null",4,1,0,null,null,[]]' ] || fail "e" "$(_dh_seen)"
	# 1000 distinct values: within 2%; one value: 1
	seq 1 1000 | awk '{printf "{\"id\":%d,\"k\":\"k%d\",\"c\":\"same\"}\n", $1, $1}' >k.jsonl
	capture dh-check --profile --json k.jsonl
	assert_status 0
	[ "$(jq -c 'select(.field == "id" or .field == "k") | .distinct >= 980 and .distinct <= 1020' "$DH_OUT")" = \
		$'true\ntrue' ] || fail "distinct" "$(_dh_seen)"
	[ "$(jq -c 'select(.field == "c") | [.distinct, .min, .max, .samples]' "$DH_OUT")" = '[1,"same","same",["same"]]' ] ||
		fail "c" "$(_dh_seen)"
	[ "$(jq -c 'select(.field == "id") | [.min, .max]' "$DH_OUT")" = '[1,1000]' ] || fail "id" "$(_dh_seen)"
	[ "$(jq -c 'select(.field == "k") | [.min, .max]' "$DH_OUT")" = '["k1","k999"]' ] || fail "k" "$(_dh_seen)"
}

@test "--profile: kinds joined as the integrity check's drift names them (number,string)" {
	printf '{"x":1.5}\n{"x":"a"}\n{"x":2}\n' >p.jsonl
	capture dh-check --profile --json p.jsonl
	assert_status 0
	[ "$(jq -c '[.type, .kinds]' "$DH_OUT")" = '["number,string",{"integer":1,"number":1,"string":1}]' ] ||
		fail "$(_dh_seen)"
	# the same mix in two partitions, as the drift check says it
	printf '{"dt":"2026-11-01","x":1}\n{"dt":"2026-11-02","x":1.5}\n{"dt":"2026-11-02","x":"a"}\n' |
		dh-partition -s st --by dt t >/dev/null
	capture dh-check -s st
	assert_status 1
	assert_out 't/dt=2026-11-02: field "x" is number,string, in t/dt=2026-11-01 number'
	capture dh-check -s st --profile --json t/dt=2026-11-02
	assert_status 0
	[ "$(jq -r .type "$DH_OUT" | sed -n 2p)" = "number,string" ] || fail "$(_dh_seen)"
}

# ---- --anomaly ----

# TABLE N1 N2 ...: daily partitions 2026-11-01.. of N1, N2... records
days() {
	local table=$1 d=0 n
	shift
	for n in "$@"; do
		d=$((d + 1))
		seq 1 "$n" | awk -v d="$d" '{printf "{\"dt\":\"2026-11-%02d\",\"user\":\"u%03d\",\"n\":%d}\n", d, $1, $1}'
	done | dh-partition -s st --by dt "$table" >/dev/null
}

@test "--anomaly: a partition of 10 records after 8 of 100 is flagged; exit 1" {
	days ev 100 100 100 100 100 100 100 100 10
	capture dh-check -s st --anomaly
	assert_status 1
	assert_err_empty
	[ "$(wc -l <"$DH_OUT")" -eq 2 ] || fail "not 2 lines" "$(_dh_seen)"
	[ "$(sed -n 1p "$DH_OUT")" = 'ev/dt=2026-11-09: anomaly: records 10, the median of the 7 partitions before is 100 (z -90)' ] ||
		fail "records" "$(_dh_seen)"
	assert_out_match '^ev/dt=2026-11-09: anomaly: bytes [0-9]+, the median of the 7 partitions before is [0-9]+ \(z -[0-9.]+\)$'
	# only the partitions the operands name are judged
	capture dh-check -s st --anomaly ev/dt=2026-11-08
	assert_status 0
	assert_out_empty
	capture dh-check -s st --anomaly ev
	assert_status 1
	[ "$(sed -n 1p "$DH_OUT")" = 'ev/dt=2026-11-09: anomaly: records 10, the median of the 7 partitions before is 100 (z -90)' ] ||
		fail "records" "$(_dh_seen)"
	# --history: fewer partitions before; --z: a wider band
	capture dh-check -s st --anomaly --history 3 ev/dt=2026-11-09
	assert_status 1
	[ "$(sed -n 1p "$DH_OUT")" = 'ev/dt=2026-11-09: anomaly: records 10, the median of the 3 partitions before is 100 (z -90)' ] ||
		fail "history" "$(_dh_seen)"
	capture dh-check -s st --anomaly --z 100
	assert_status 0
	assert_out_empty
	capture dh-check -s st --anomaly --json
	assert_status 1
	[ "$(jq -c 'select(.anomaly == "records")' "$DH_OUT")" = \
		'{"partition":"ev/dt=2026-11-09","anomaly":"records","value":10,"median":100,"z":-90,"history":7}' ] ||
		fail "json" "$(_dh_seen)"
	[ "$(jq -c 'select(.anomaly == "bytes") | [.partition, (.value < .median), (.z < -3), .history, has("field")]' "$DH_OUT")" = \
		'["ev/dt=2026-11-09",true,true,7,false]' ] || fail "json bytes" "$(_dh_seen)"
}

@test "--anomaly: a field 50% null after none: the null rate, z +inf" {
	{
		for d in 1 2 3 4 5 6 7 8; do
			seq 1 100 | awk -v d="$d" '{printf "{\"dt\":\"2026-11-%02d\",\"user\":\"u%03d\",\"n\":%d}\n", d, $1, $1}'
		done
		seq 1 100 | awk '{ if ($1 % 2) printf "{\"dt\":\"2026-11-09\",\"user\":\"u%03d\",\"n\":%d}\n", $1, $1;
			else printf "{\"dt\":\"2026-11-09\",\"user\":null,\"n\":%d}\n", $1 }'
	} | dh-partition -s st --by dt ev >/dev/null
	capture dh-check -s st --anomaly
	assert_status 1
	assert_out 'ev/dt=2026-11-09: anomaly: null rate of "user" 0.5, the median of the 7 partitions before is 0 (z +inf)'
	capture dh-check -s st --anomaly --json
	assert_status 1
	assert_out '{"partition":"ev/dt=2026-11-09","anomaly":"null rate","field":"user","value":0.5,"median":0,"z":null,"history":7}'
	jq -e . "$DH_OUT" >/dev/null || fail "not JSON"
}

@test "--anomaly: a steady table is quiet; fewer than 3 partitions before are never judged; --history 2 is usage" {
	days ev 100 100 100 100 100 100 100 100
	capture dh-check -s st --anomaly
	assert_status 0
	assert_out_empty
	assert_err_empty
	rm -rf st
	days ev 100 100 10
	capture dh-check -s st --anomaly
	assert_status 0
	assert_out_empty
	# with 3 before, the same drop is flagged
	rm -rf st
	days ev 100 100 100 10
	capture dh-check -s st --anomaly
	assert_status 1
	[ "$(sed -n 1p "$DH_OUT")" = 'ev/dt=2026-11-04: anomaly: records 10, the median of the 3 partitions before is 100 (z -90)' ] ||
		fail "$(_dh_seen)"
	capture dh-check -s st --anomaly --history 2
	assert_status 2
	assert_out_empty
	assert_err "dh-check: --history: at least 3 partitions
Try 'dh-check --help' for more information."
	: >f.jsonl
	capture dh-check -s st --anomaly --profile f.jsonl
	assert_status 2
	assert_out_empty
	assert_err "dh-check: --anomaly judges partitions of the state directory, and 'f.jsonl' is a file
Try 'dh-check --help' for more information."
	capture dh-check -s st --anomaly --z 0
	assert_status 2
	assert_err "dh-check: --z: not a positive number: '0'
Try 'dh-check --help' for more information."
}

# ---- output errors, integrity ----

@test "> /dev/full is exit 4; | head -1 is quiet" {
	hundred
	capture sh -c "dh-check -e 'not_null(v)' h.jsonl >/dev/full"
	assert_status 4
	assert_err 'dh-check: write error: stdout: No space left on device'
	capture sh -c "dh-check --profile h.jsonl >/dev/full"
	assert_status 4
	assert_err 'dh-check: write error: stdout: No space left on device'
	capture sh -c "dh-check --json -e 'not_null(v)' h.jsonl >/dev/full"
	assert_status 4
	assert_err 'dh-check: write error: stdout: No space left on device'
	seq 1 5000 | awk '{printf "{\"v\":null,\"pad\":\"%080d\"}\n", $1}' >big.jsonl
	capture sh -c "dh-check --samples 5000 -e 'not_null(v)' big.jsonl | head -n 1"
	assert_status 0
	assert_out 'big.jsonl: not_null(v): FAIL, 5000 of 5000 unexpected (100%)'
	assert_err_empty
	days ev 100 100 100 100 10
	capture sh -c "dh-check -s st --anomaly >/dev/full"
	assert_status 4
	assert_err 'dh-check: write error: stdout: No space left on device'
}

@test "the integrity check after recording: exit 0; a changed data file is still caught" {
	hub
	dh-check -s st -e 'not_null(u)' raw/x/dt=2026-11-18 >/dev/null || true
	dh-check -s st -e 'rows(1,)' raw/x/dt=2026-11-19 >/dev/null
	capture dh-check -s st
	assert_status 0
	assert_out_empty
	assert_err "dh-check: 2 partitions checked: 0 problems"
	capture dh-check -s st --json
	assert_status 0
	assert_out_empty
	sed -i 's/"v":3/"v":8/' st/raw/x/dt=2026-11-19/part-00000.jsonl
	capture dh-check -s st
	assert_status 1
	assert_out_match '^raw/x/dt=2026-11-19: part-00000.jsonl: xxh128 [0-9a-f]{32}, the manifest says [0-9a-f]{32}$'
}
