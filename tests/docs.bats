#!/usr/bin/env bats
# The documentation held against the code: man pages lint clean, each
# --help synopsis is its man page's SYNOPSIS, every option is documented,
# the committed completions are what scripts/gen-completions derives from the
# option tables, and --version prints config.mk's VERSION.
# Every test runs over all commands in build/bin, so a new command is held
# to the same rules without touching this file.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	# tests/run passes make's BUILD (a sanitizer build may live elsewhere)
	case ${BUILD:-build} in
	/*) BIN=$BUILD/bin ;;
	*) BIN=$ROOT/${BUILD:-build}/bin ;;
	esac
	cd "$BATS_TEST_TMPDIR" || return 1
}

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# The commands (dh-NAME), one a line; fails when there are none, so that a
# missing build cannot pass every test below by looping over nothing.
commands() {
	local b found=
	for b in "$BIN"/dh-*; do
		[ -x "$b" ] || continue
		printf '%s\n' "${b##*/}"
		found=1
	done
	[ -n "$found" ] || fail "no commands in $BIN: run make"
}

# A section of a man page as plain ASCII text on one line: rendered wide and
# without hyphenation, joined, whitespace squeezed and trimmed.
man_section() {
	LC_ALL=C groff -mandoc -Tascii -P-c -P-b -P-u -rLL=1000n -rHY=0 "$1" 2>/dev/null |
		awk -v sec="$2" '
			/^[^ \t]/ { on = ($0 == sec); next }
			on { printf "%s ", $0 }' |
		tr -s ' \t' '  ' | sed 's/^ //; s/ $//'
}

@test "man pages: groff -mandoc -ww prints no warning for any page" {
	local f out n=0 failed=
	for f in "$ROOT"/man/*.[1-9]; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		out=$(groff -mandoc -ww -z "$f" 2>&1)
		[ -z "$out" ] || failed+="  ${f#"$ROOT"/}: $out"$'\n'
	done
	[ "$n" -ge 2 ] || fail "expected man/dh.7 and a page per command, found $n pages"
	[ -z "$failed" ] || fail "groff warnings:" "$failed"
}

@test "man pages: every command has one, and dh(7) names it" {
	local c failed=
	commands >cmds
	while read -r c; do
		[ -f "$ROOT/man/$c.1" ] || failed+="  no man/$c.1"$'\n'
		grep -q "^\.Xr $c 1" "$ROOT/man/dh.7" || failed+="  dh.7 has no .Xr $c 1"$'\n'
		grep -q "^\.Ss $c\$" "$ROOT/man/dh.7" || failed+="  dh.7 has no .Ss $c"$'\n'
		grep -q "^\.Dt $(printf '%s' "$c" | tr a-z A-Z) 1\$" "$ROOT/man/$c.1" ||
			failed+="  man/$c.1: no .Dt line for $c"$'\n'
	done <cmds
	[ -s cmds ] && [ -z "$failed" ] || fail "$failed"
}

@test "--help: the synopsis is the man page SYNOPSIS, as plain text" {
	local c help man failed=
	commands >cmds
	while read -r c; do
		help=$("$BIN/$c" --help | head -n 1)
		case $help in
		"Usage: $c "*) ;;
		*) failed+="  $c --help: first line is not 'Usage: $c ...': $help"$'\n'; continue ;;
		esac
		help=$(printf '%s' "${help#Usage: }" | tr -s ' ' ' ')
		man=$(man_section "$ROOT/man/$c.1" SYNOPSIS)
		[ "$help" = "$man" ] ||
			failed+="  $c:"$'\n'"    --help:   $help"$'\n'"    SYNOPSIS: $man"$'\n'
	done <cmds
	[ -s cmds ] && [ -z "$failed" ] || fail "synopses differ:" "$failed"
}

@test "every option of --dh-options is in the man page option list and in --help" {
	local c s l help page failed= n=0
	commands >cmds
	while read -r c; do
		"$BIN/$c" --dh-options >opts || failed+="  $c --dh-options failed"$'\n'
		"$BIN/$c" --help >help
		page=$ROOT/man/$c.1
		while IFS=$'\t' read -r s l _; do
			n=$((n + 1))
			grep -Eq "^\.It .*Fl -$l([^a-z0-9-]|\$)" "$page" ||
				failed+="  man/$c.1: no '.It ... Fl -$l'"$'\n'
			grep -Eq -- "--$l([^a-z0-9-]|\$)" help ||
				failed+="  $c --help: no --$l"$'\n'
			if [ "$s" != - ]; then
				grep -Eq "^\.It Fl $s([^A-Za-z0-9]|\$)" "$page" ||
					failed+="  man/$c.1: no '.It Fl $s'"$'\n'
				grep -Eq -- "(^|[^A-Za-z0-9-])-$s, --$l([^a-z0-9-]|\$)" help ||
					failed+="  $c --help: no '-$s, --$l'"$'\n'
			fi
		done <opts
	done <cmds
	[ "$n" -gt 0 ] || fail "no options listed"
	[ -z "$failed" ] || fail "undocumented options:" "$failed"
}

@test "completions: the committed files are what scripts/gen-completions derives" {
	local c sh file failed=
	commands >cmds
	while read -r c; do
		for sh in bash zsh; do
			if [ "$sh" = bash ]; then
				file=completions/bash/$c
			else
				file=completions/zsh/_$c
			fi
			if ! sh "$ROOT/scripts/gen-completions" "$sh" "$BIN/$c" >gen 2>err; then
				failed+="  gen-completions $sh $c failed: $(cat err)"$'\n'
			elif [ ! -f "$ROOT/$file" ]; then
				failed+="  $file is missing (run make completions)"$'\n'
			elif ! cmp -s gen "$ROOT/$file"; then
				failed+="  $file is stale (run make completions):"$'\n'
				failed+="$(diff "$ROOT/$file" gen | head -n 20)"$'\n'
			fi
		done
	done <cmds
	[ -s cmds ] && [ -z "$failed" ] || fail "$failed"
}

@test "completions: bash loads each one and completes option values" {
	local c failed=
	commands >cmds
	while read -r c; do
		# shellcheck disable=SC2016 # expanded by the inner bash
		out=$(bash -c 'source "$1" && complete -p "$2"' _ "$ROOT/completions/bash/$c" "$c" 2>&1) ||
			failed+="  $c: $out"$'\n'
		[ "$out" = "complete -F _${c//-/_} $c" ] || failed+="  $c: complete -p: $out"$'\n'
	done <cmds
	# one real completion: the value words of dh-convert -t
	# shellcheck disable=SC2016
	out=$(bash -c 'source "$1"; COMP_WORDS=(dh-convert -t js); COMP_CWORD=2
		_dh_convert; printf "%s\n" "${COMPREPLY[@]}"' _ "$ROOT/completions/bash/dh-convert")
	[ "$out" = $'jsonl\njson' ] || failed+="  dh-convert -t js<TAB>: $out"$'\n'
	[ -s cmds ] && [ -z "$failed" ] || fail "$failed"
}

@test "completions: zsh parses each one" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	local c failed=
	commands >cmds
	while read -r c; do
		head -n 1 "$ROOT/completions/zsh/_$c" | grep -qx "#compdef $c" ||
			failed+="  _$c: first line is not '#compdef $c'"$'\n'
		out=$(zsh -n "$ROOT/completions/zsh/_$c" 2>&1) || failed+="  _$c: $out"$'\n'
	done <cmds
	[ -s cmds ] && [ -z "$failed" ] || fail "$failed"
}

@test "scripts/gen-completions is POSIX sh and shellcheck-clean" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run shellcheck -s sh "$ROOT/scripts/gen-completions"
	[ "$status" -eq 0 ] || fail "$output"
	[ -z "$output" ] || fail "$output"
}

@test "--version: prints 'dh-NAME (dh) VERSION' with config.mk's VERSION" {
	local c version out failed=
	version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$ROOT/config.mk")
	[ -n "$version" ] || fail "no VERSION in config.mk"
	commands >cmds
	while read -r c; do
		out=$("$BIN/$c" --version) || failed+="  $c --version: exit $?"$'\n'
		[ "$out" = "$c (dh) $version" ] ||
			failed+="  $c --version: '$out', expected '$c (dh) $version'"$'\n'
		out=$("$BIN/$c" -V)
		[ "$out" = "$c (dh) $version" ] || failed+="  $c -V: '$out'"$'\n'
	done <cmds
	[ -s cmds ] && [ -z "$failed" ] || fail "$failed"
}
