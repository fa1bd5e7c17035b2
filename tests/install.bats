#!/usr/bin/env bats
# make install and make uninstall, into a DESTDIR: the commands, a man page
# for each and dh(7) and dh-state(5) where man(1) finds them, rendering
# without a warning, and the completions where bash-completion and zsh
# look for them; uninstall leaves no file behind.  The build is the one
# under test: install's "all" is taken as made (-o all), so that a build
# with other flags (SANITIZE=, DEVELOPER=) is installed as it is, never
# rebuilt in the middle of the suite.

load helper

setup() {
	dh_setup
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	BUILDDIR=${BUILD:-build}
	DEST=$BATS_TEST_TMPDIR/dest
	PREFIX=/usr/local
	# what make install installs, from the tree: one page per command
	CMDS=$(cd "$ROOT/cmd" && ls dh-*.c | sed 's/\.c$//')
	[ -n "$CMDS" ] || fail "no commands in cmd/"
}

install_dh() {
	make -s -C "$ROOT" -o all install BUILD="$BUILDDIR" DESTDIR="$DEST" PREFIX="$PREFIX" \
		>install.out 2>&1 || fail "make install failed:" "$(cat install.out)"
}

@test "make install: every command in PREFIX/bin, runnable" {
	install_dh
	local c failed=
	for c in $CMDS; do
		[ -x "$DEST$PREFIX/bin/$c" ] || { failed+="  no $PREFIX/bin/$c"$'\n'; continue; }
		[ "$("$DEST$PREFIX/bin/$c" --version)" = "$c (dh) $(sed -n 's/^VERSION *= *//p' "$ROOT/config.mk")" ] ||
			failed+="  $c --version: $("$DEST$PREFIX/bin/$c" --version 2>&1)"$'\n'
	done
	[ "$(ls "$DEST$PREFIX/bin" | wc -l)" -eq "$(echo "$CMDS" | wc -w)" ] ||
		failed+="  bin holds: $(ls "$DEST$PREFIX/bin")"$'\n'
	[ -z "$failed" ] || fail "$failed"
}

@test "make install: man finds dh(7), dh-state(5) and a page per command, and each renders without a warning" {
	command -v man >/dev/null || skip "man (man-db) is not installed"
	install_dh
	local man=$DEST$PREFIX/share/man page want failed= n=0
	for page in dh:7 dh-state:5 $(for c in $CMDS; do echo "$c:1"; done); do
		n=$((n + 1))
		want=$man/man${page#*:}/${page%:*}.${page#*:}
		[ -f "$want" ] || { failed+="  not installed: ${want#"$DEST"}"$'\n'; continue; }
		# man looks it up by name in MANPATH
		[ "$(MANPATH=$man man -w "${page%:*}" 2>&1)" = "$want" ] ||
			failed+="  man -w ${page%:*}: $(MANPATH=$man man -w "${page%:*}" 2>&1)"$'\n'
		# and renders it, with groff's warnings on, to nothing on stderr
		MANWIDTH=80 man --warnings -l "$want" >page.txt 2>warn.txt ||
			failed+="  man -l ${want#"$DEST"}: exit $?"$'\n'
		[ ! -s warn.txt ] || failed+="  man -l ${want#"$DEST"}: $(head -n 5 warn.txt)"$'\n'
		grep -q '^NAME' page.txt || failed+="  ${want#"$DEST"}: no NAME section rendered"$'\n'
	done
	[ "$n" -ge 10 ] || fail "only $n pages"
	[ -z "$failed" ] || fail "$failed"
}

@test "make install: bash completions where bash-completion looks, each one loads" {
	install_dh
	local dir=$DEST$PREFIX/share/bash-completion/completions c out failed=
	for c in $CMDS; do
		[ -f "$dir/$c" ] || { failed+="  no ${dir#"$DEST"}/$c"$'\n'; continue; }
		# shellcheck disable=SC2016 # expanded by the inner bash
		out=$(bash -c 'source "$1" && complete -p "$2"' _ "$dir/$c" "$c" 2>&1) ||
			failed+="  $c: $out"$'\n'
		[ "$out" = "complete -F _${c//-/_} $c" ] || failed+="  $c: complete -p: $out"$'\n'
	done
	[ -z "$failed" ] || fail "$failed"
	# bash-completion loads completions on demand from
	# DIR/bash-completion/completions for each DIR of XDG_DATA_DIRS, whose
	# default holds /usr/local/share and /usr/share
	[ "$PREFIX/share/bash-completion/completions" = /usr/local/share/bash-completion/completions ] ||
		fail "not a directory of bash-completion's default search path"
	local bc=/usr/share/bash-completion/bash_completion
	[ -f "$bc" ] || skip "bash-completion is not installed: the on-demand loading is not tried"
	# shellcheck disable=SC2016
	out=$(XDG_DATA_DIRS=$DEST$PREFIX/share bash -c 'source "$1"; __load_completion dh-agg; complete -p dh-agg' _ "$bc" 2>&1)
	[ "$out" = "complete -F _dh_agg dh-agg" ] || fail "bash-completion did not load it: $out"
}

@test "make install: zsh completions in a directory of zsh's default fpath, each one autoloads" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	install_dh
	local dir=$PREFIX/share/zsh/site-functions c out failed=
	zsh -fc 'print -l $fpath' | grep -qx "$dir" || fail "$dir is not in zsh's fpath: $(zsh -fc 'print -l $fpath' | head -n 5)"
	for c in $CMDS; do
		[ -f "$DEST$dir/_$c" ] || failed+="  no $dir/_$c"$'\n'
	done
	[ -z "$failed" ] || fail "$failed"
	# compinit finds each #compdef in the directory
	# shellcheck disable=SC2016
	out=$(cd "$BATS_TEST_TMPDIR" && HOME=$BATS_TEST_TMPDIR zsh -fc 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D
		for c in ${=2}; do print -r -- "$c=$_comps[$c]"; done' _ "$DEST$dir" "$CMDS" 2>&1)
	[ "$out" = "$(for c in $CMDS; do echo "$c=_$c"; done)" ] || fail "compinit: $out"
}

@test "make uninstall removes every file make install put, and nothing else" {
	install_dh
	mkdir -p "$DEST$PREFIX/bin"
	echo keep >"$DEST$PREFIX/bin/other"
	make -s -C "$ROOT" uninstall BUILD="$BUILDDIR" DESTDIR="$DEST" PREFIX="$PREFIX" >un.out 2>&1 ||
		fail "make uninstall failed:" "$(cat un.out)"
	(cd "$DEST" && find . -type f) >left
	[ "$(cat left)" = "./usr/local/bin/other" ] || fail "left behind:" "$(cat left)"
}

@test "make install under umask 077: pages and completions readable by all, commands runnable by all" {
	(umask 077 && install_dh)
	local f bad=
	for f in "$DEST$PREFIX"/bin/*; do
		[ "$(stat -c %a "$f")" = 755 ] || bad+="  $f: $(stat -c %a "$f")"$'\n'
	done
	for f in $(find "$DEST$PREFIX/share" -type f); do
		[ "$(stat -c %a "$f")" = 644 ] || bad+="  $f: $(stat -c %a "$f")"$'\n'
	done
	[ -n "$(find "$DEST$PREFIX/share" -type f)" ] || fail "nothing installed under share"
	[ -z "$bad" ] || fail "modes:"$'\n'"$bad"
}
