#!/usr/bin/env bats
# The progress line (DESIGN §7, common/progress): on stderr only when it is
# a terminal, at most once a second, "\r"-rewritten, cleared at the end and
# before any message.  script(1) from util-linux gives the command a pty:
# what it prints there is script's standard output.

load helper

setup() {
	dh_setup
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	GEN=$ROOT/${BUILD:-build}/tools/gen
	# 40,000 records with a pause in the middle: a run of over a second
	# whose records keep coming after the first second
	cat >slow.sh <<EOF
"$GEN" -n 20000 -f jsonl -s 1
sleep 1.2
"$GEN" -n 20000 -f jsonl -s 2
EOF
}

# run CMD (a shell command line) with stderr on a pty; the pty's bytes in tty
on_tty() {
	status=0
	script -qec "$1" /dev/null </dev/null >tty || status=$?
}

# tty holds at least one progress line of prog, and ends cleared: the last
# bytes are "\r", spaces as wide as the last line, "\r"
assert_progress() {
	local prog=$1 text
	text=$(cat tty)
	[[ $text =~ ^$'\r'"$prog: "[0-9]+" records, "[0-9.]+" "(B|KiB|MiB|GiB)" read, "[0-9.]+" "(B|KiB|MiB|GiB)/s ]] ||
		fail "no progress line of $prog at the start: $(cat -A tty)"
	[[ $text =~ $'\r'" "+$'\r'$ ]] || fail "the line is not cleared at the end: $(cat -A tty)"
	[ "$(tr -d '\r' <tty | tr -d ' ' | grep -c .)" -ge 1 ] || fail "empty"
}

@test "dh-convert: a long run shows records and bytes read on the terminal, then clears the line" {
	on_tty "sh slow.sh | dh-convert -t csv > out.csv"
	assert_status 0
	assert_progress dh-convert
	# the line is rewritten in place: no newline on the terminal at all
	[ "$(wc -l <tty)" -eq 0 ] || fail "a newline on the terminal: $(cat -A tty)"
	# and the output is what a run without a terminal gives
	sh slow.sh | dh-convert -t csv >want.csv 2>err
	[ ! -s err ] || fail "stderr: $(cat err)"
	cmp out.csv want.csv || fail "output differs with the progress line"
}

@test "nothing at all when stderr is not a terminal" {
	on_tty "sh slow.sh | dh-convert -t csv > out.csv 2> err.txt"
	assert_status 0
	[ ! -s tty ] || fail "on the terminal: $(cat -A tty)"
	[ -f err.txt ] && [ ! -s err.txt ] || fail "stderr: $(cat -A err.txt)"
	# nor when stdout is the same terminal: records and the line would mix
	on_tty "sh slow.sh | dh-convert -t jsonl"
	assert_status 0
	! grep -q 'dh-convert: [0-9]* records' tty || fail "progress among the records"
	[ "$(tr -d '\r' <tty | wc -l)" -eq 40000 ] || fail "records: $(tr -d '\r' <tty | wc -l)"
}

@test "a message clears the line first, and starts at the left margin" {
	{ cat slow.sh; echo "echo '{bad'"; } >bad.sh
	on_tty "sh bad.sh | dh-convert -t jsonl > out.jsonl"
	assert_status 3
	text=$(tr -d '\n' <tty)
	[[ $text =~ ^$'\r'"dh-convert: "[0-9]+" records".*$'\r'" "+$'\r'"dh-convert: (stdin):40001: "[^$'\r']+$'\r'$ ]] ||
		fail "not cleared before the message: $(cat -A tty)"
}

@test "every streaming command shows it: dh-partition, dh-dedup, dh-agg, dh-check" {
	on_tty "sh slow.sh | dh-partition -s st --by dt=ts:day t > paths"
	assert_status 0
	assert_progress dh-partition
	[ "$(wc -l <paths)" -eq 3 ] || fail "paths: $(cat paths)"
	on_tty "sh slow.sh | dh-dedup -k event_id > u.jsonl"
	assert_status 0
	assert_progress dh-dedup
	on_tty "sh slow.sh | dh-agg -g country -a count > a.jsonl"
	assert_status 0
	assert_progress dh-agg
	[ "$(jq -s 'map(.count) | add' a.jsonl)" -eq 40000 ] || fail "agg: $(cat a.jsonl)"
	on_tty "sh slow.sh | dh-agg -g country -a count --time ts --window tumbling:1h --delay 4d > w.jsonl"
	assert_status 0
	assert_progress dh-agg
	on_tty "sh slow.sh | dh-check -e 'not_null(event_id)' > report"
	assert_status 0
	assert_progress dh-check
	grep -qx -- '-: not_null(event_id): pass, 0 of 40000 unexpected' report || fail "report: $(cat report)"
}

@test "a quick run prints nothing: the first line comes after a second" {
	! grep -q '^exec valgrind' "$(command -v dh-convert)" ||
		skip "dh-convert runs under valgrind (make check-valgrind): not a quick run"
	"$GEN" -n 20000 -f jsonl >e.jsonl
	on_tty "dh-convert -t csv e.jsonl > out.csv"
	assert_status 0
	[ ! -s tty ] || fail "on the terminal: $(cat -A tty)"
}
