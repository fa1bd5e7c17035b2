# Shared helpers for the black-box tests: every tests/dh-NAME.bats does
# `load helper`. Nothing here defines setup/teardown, so a .bats file keeps
# its own; call dh_setup from it (or rely on the helpers, which need no
# setup beyond $BATS_TEST_TMPDIR).
#
#   DH_CONF         the conformance data, ../shared/conformance from the root
#   DH_FIXTURES     tests/fixtures
#   DH_LOCALES      the locales every locale-sensitive case runs under
#   DH_HANG         seconds before a command counts as hung (default 10)
#   dh_setup        cd into this test's own empty temporary directory
#   capture CMD...  run CMD; $status, $out and $err (trailing newlines
#                   stripped, like $(...)); the exact bytes stay in
#                   $DH_OUT and $DH_ERR
#   assert_status N           $status is N
#   assert_out TEXT           $out is exactly TEXT
#   assert_err TEXT           $err is exactly TEXT
#   assert_out_file FILE      stdout is byte for byte FILE
#   assert_out_empty / assert_err_empty   no byte at all
#   json_eq A B     the JSON texts (or JSON-lines streams) in files A and B
#                   are equal as values, key order aside (jq -S)
#   fail MSG...     print MSG and fail the test

# shellcheck disable=SC2034 # the variables are for the .bats files
bats_require_minimum_version 1.5.0

DH_CONF=$(cd "$BATS_TEST_DIRNAME/../../shared/conformance" 2>/dev/null && pwd) ||
	DH_CONF="$BATS_TEST_DIRNAME/../../shared/conformance"
DH_FIXTURES="$BATS_TEST_DIRNAME/fixtures"
DH_LOCALES="C C.UTF-8"
# seconds after which a test calls a command hung (timeout); tests/valgrind
# raises it, as valgrind runs commands 20 to 50 times slower
DH_HANG=${DH_HANG:-10}

dh_setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

capture() {
	DH_OUT="$BATS_TEST_TMPDIR/.stdout"
	DH_ERR="$BATS_TEST_TMPDIR/.stderr"
	status=0
	"$@" >"$DH_OUT" 2>"$DH_ERR" || status=$?
	out=$(cat "$DH_OUT")
	err=$(cat "$DH_ERR")
	return 0
}

# what a capture saw, for failure messages
_dh_seen() {
	printf '  command status: %s\n' "$status"
	printf '  stdout: %s\n' "$(head -c 2000 "$DH_OUT" | cat -A)"
	printf '  stderr: %s\n' "$(head -c 2000 "$DH_ERR" | cat -A)"
}

assert_status() {
	[ "$status" = "$1" ] && return 0
	fail "expected exit status $1, got $status" "$(_dh_seen)"
}

assert_out() {
	[ "$out" = "$1" ] && return 0
	fail "stdout differs" "expected: $(printf '%s' "$1" | cat -A)" "$(_dh_seen)"
}

# skip_if_sanitized CMD: skip a memory measurement when CMD is built with
# AddressSanitizer (SANITIZE=address), whose shadow memory counts in RSS,
# or runs under valgrind (tests/valgrind)
skip_if_sanitized() {
	if grep -q __asan_init "$(command -v "$1")"; then
		skip "$1 is built with AddressSanitizer: its RSS is not dh's"
	elif grep -q '^exec valgrind' "$(command -v "$1")"; then
		skip "$1 runs under valgrind (make check-valgrind): its RSS and descriptors are valgrind's"
	fi
}

# stdout matches an extended regular expression (grep -E, whole output)
assert_out_match() {
	grep -qE -- "$1" "$DH_OUT" && return 0
	fail "stdout does not match /$1/" "$(_dh_seen)"
}

# stderr matches an extended regular expression (grep -E)
assert_err_match() {
	grep -qE -- "$1" "$DH_ERR" && return 0
	fail "stderr does not match /$1/" "$(_dh_seen)"
}

assert_err() {
	[ "$err" = "$1" ] && return 0
	fail "stderr differs" "expected: $(printf '%s' "$1" | cat -A)" "$(_dh_seen)"
}

assert_out_file() {
	cmp -s "$DH_OUT" "$1" && return 0
	fail "stdout differs from $1:" "$(diff <(cat -A "$1") <(cat -A "$DH_OUT") | head -n 40)" \
		"$(_dh_seen)"
}

assert_out_empty() {
	[ ! -s "$DH_OUT" ] && return 0
	fail "expected no output on stdout" "$(_dh_seen)"
}

assert_err_empty() {
	[ ! -s "$DH_ERR" ] && return 0
	fail "expected nothing on stderr" "$(_dh_seen)"
}

json_eq() {
	local a b
	a=$(jq -S -c . "$1") || { fail "json_eq: $1 is not JSON"; return 1; }
	b=$(jq -S -c . "$2") || { fail "json_eq: $2 is not JSON"; return 1; }
	[ "$a" = "$b" ] && return 0
	fail "JSON differs: $1 vs $2" "$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 40)"
}

# state_ok and no_temp: tests/state.bash, shared with scripts/crash-test
# shellcheck source=tests/state.bash
source "$BATS_TEST_DIRNAME/state.bash"
