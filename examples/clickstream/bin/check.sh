#!/bin/sh
# Hold a partition that was just built to the expectations of its table,
# rules/TABLE.rules (and any -e EXPR given before it), and print one line:
#
#   clean/clicks/dt=2026-11-20        4,832 records   7 checks pass
#
#   bin/check.sh [-e EXPR]... TABLE/dt=DAY
#
# dh-check records the results in the partition's _MANIFEST.  When one
# fails, the report is printed, the partition loses its _SUCCESS (and
# everything made from it), so that nothing is built on it and the next
# `make` builds it again, and check.sh exits 1.
set -u
cd "$(dirname "$0")/.." || exit
S=${DH_STATE:-state}
part=$(eval "echo \${$#}")
table=${part%/dt=*}
report=$(dh-check -s "$S" --wait 300 --samples 2 -r "rules/$table.rules" "$@")
rc=$?
case $rc in
0)	records=$(dh-ls -s "$S" -l "$part" | awk '{ print $2 }')
	printf '%-34s %7s records   %s checks pass\n' "$part" "$records" \
	    "$(printf '%s\n' "$report" | grep -c ': pass')"
	;;
1)	printf '%s\n' "$report" | grep -v ': pass'
	dh-invalidate -s "$S" --wait 300 --reason 'dh-check failed' "$part" >/dev/null
	echo "$part: failed its checks: invalidated" >&2
	exit 1
	;;
*)	printf '%s\n' "$report"
	exit $rc
	;;
esac
