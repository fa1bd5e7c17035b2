#!/usr/bin/env bats
# Every example of every command's --help runs as printed, in order, in a
# small data hub that has the files and the state the examples name: the
# clickstream of tools/gen landed, cleaned and counted by the Makefile of
# dh-invalidate(1) MAKEFILES.  An example exits 0 unless WANT below says
# otherwise; one that follows a file (tail -f) is stopped after a while
# and must have written something by then.  And --help ends with the
# pointer to the manual.

load helper

# Exit statuses other than 0, and why.
declare -gA WANT=(
	# the generated prices go past 1000 in over 1% of purchases
	["dh-check -e 'not_null(user_id)' -e 'between(price,0,1000) mostly=0.99' clean/clicks/dt=2026-11-20"]=1
	["dh-convert -t jsonl events.csv | dh-check -r rules.txt --samples 3"]=1
)

setup_file() {
	local root gen
	root=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	gen=$root/${BUILD:-build}/tools/gen
	case ${BUILD:-build} in /*) gen=$BUILD/tools/gen ;; esac
	export HUB=$BATS_FILE_TMPDIR/hub
	mkdir -p "$HUB/landing"
	cd "$HUB" || return 1
	"$gen" -n 3000 -f jsonl -s 7 >all.jsonl
	"$gen" -n 3000 -f csv -s 7 >events.csv
	for d in 20 21 22; do
		grep "\"ts\":\"2026-11-$d" all.jsonl >landing/2026-11-$d.jsonl
		gzip -c landing/2026-11-$d.jsonl >landing/clicks-2026-11-$d.jsonl.gz
	done
	# the examples name two fields beside the clickstream's
	jq -c '. + {page: (.url | sub("[?].*"; "")), latency_ms: (.event_details.position.x | floor)}' \
		all.jsonl >events.jsonl
	gzip -k events.jsonl
	cp events.jsonl day1.jsonl
	gzip -c events.jsonl >day.jsonl.gz
	cp all.jsonl clicks.jsonl
	gzip -k clicks.jsonl
	dh-agg -g country -a count,sum:price -t csv events.jsonl >metrics.csv
	printf '#!/bin/sh\nexec jq -c "select(.country != \\"US\\")"\n' >transform.sh
	printf '#!/bin/sh\nexec jq -c ". + {button: .event_details.button_type}"\n' >clean.sh
	chmod +x transform.sh clean.sh
	printf '%s\n' 'not_null(user_id)' 'between(price,0,1000) mostly=0.99' >rules.txt
	# dh-invalidate(1) MAKEFILES, as printed there
	cat >Makefile <<'EOF'
S := state
E := =
DAYS := 2026-11-20 2026-11-21 2026-11-22
RAW := $(patsubst %,$(S)/raw/clicks/ingest_date$E%/_SUCCESS,$(DAYS))
CLEAN := $(patsubst %,$(S)/clean/clicks/dt$E%/_SUCCESS,$(DAYS))
DAILY := $(patsubst %,$(S)/daily/buttons/dt$E%/_SUCCESS,$(DAYS))

all: $(RAW) $(CLEAN) $(DAILY)

$(S)/raw/clicks/ingest_date$E%/_SUCCESS: landing/%.jsonl
	dh-ingest -s $(S) -p ingest_date=$* raw/clicks $<

$(S)/clean/clicks/dt$E%/_SUCCESS: $(S)/raw/clicks/ingest_date$E%/_SUCCESS clean.sh
	dh-convert $(S)/raw/clicks/ingest_date=$* | ./clean.sh | \
	    dh-partition -s $(S) -p dt=$* --from clean.sh \
	    --from $(S)/raw/clicks/ingest_date=$* clean/clicks

$(S)/daily/buttons/dt$E%/_SUCCESS: $(S)/clean/clicks/dt$E%/_SUCCESS
	dh-agg -g button -a count $(S)/clean/clicks/dt=$* | \
	    dh-partition -s $(S) -p dt=$* \
	    --from $(S)/clean/clicks/dt=$* daily/buttons
EOF
	make -s >make.out 2>&1 || { cat make.out >&2; return 1; }
	[ "$(dh-ls --incomplete --stale)" = "" ] || return 1
}

setup() {
	cp -a "$HUB" "$BATS_TEST_TMPDIR/hub"
	cd "$BATS_TEST_TMPDIR/hub" || return 1
}

# The examples of cmd's --help, one a line (NUL-separated): the lines
# after "Examples:" up to a blank line, two spaces in; a line further in
# continues the one before.
examples() {
	"$1" --help | awk '
		/^Examples:$/ { on = 1; next }
		on && /^$/ { exit }
		on && /^    / { ex = ex "\n" substr($0, 5); next }
		on { if (ex != "") printf "%s%c", ex, 0; ex = substr($0, 3) }
		END { if (ex != "") printf "%s%c", ex, 0 }'
}

# Run every example of cmd in order, in this test's copy of the hub.
run_examples() {
	local cmd=$1 ex want rc n=0 failed=
	while IFS= read -r -d '' ex; do
		n=$((n + 1))
		want=${WANT[$ex]:-0}
		rc=0
		case $ex in
		*"tail -f "*)
			# follows for ever: stopped, it must have written records
			timeout $((DH_HANG / 3 + 1)) bash -o pipefail -c "$ex" >out 2>err </dev/null || rc=$?
			[ "$rc" -eq 124 ] && [ -s out ] ||
				failed+="  $ex"$'\n'"    exit $rc (want 124, stopped), $(wc -l <out) lines out: $(head -c 300 err)"$'\n'
			continue
			;;
		esac
		bash -o pipefail -c "$ex" >out 2>err </dev/null || rc=$?
		[ "$rc" -eq "$want" ] ||
			failed+="  $ex"$'\n'"    exit $rc, want $want: $(head -c 300 err)"$'\n'
		! grep -q 'command not found' err || failed+="  $ex: $(cat err)"$'\n'
	done < <(examples "$cmd")
	[ "$n" -gt 0 ] || fail "$cmd --help has no examples"
	[ -z "$failed" ] || fail "$cmd --help examples that do not run as printed:" "$failed"
}

@test "dh-agg --help: the examples run as printed" {
	run_examples dh-agg
	[ -s day1.state ] || fail "no day1.state"
}

@test "dh-check --help: the examples run as printed" {
	run_examples dh-check
}

@test "dh-convert --help: the examples run as printed" {
	run_examples dh-convert
	zstd -dc all.csv.zst | head -n 1 | grep -q '^event_id,' || fail "all.csv.zst"
}

@test "dh-dedup --help: the examples run as printed" {
	run_examples dh-dedup
	[ -s unique.jsonl ] && [ -s clean.jsonl ] && [ -s dups.jsonl ] && [ -s state/event_ids.seen ] ||
		fail "$(ls -l)"
}

@test "dh-ingest --help: the examples run as printed" {
	run_examples dh-ingest
	[ "$(jq '.files | length' "state/raw/clicks/ingest_date=2026-11-20/_MANIFEST")" -eq 2 ] ||
		fail "$(cat state/raw/clicks/ingest_date=2026-11-20/_MANIFEST)"
}

@test "dh-invalidate --help: the examples run as printed" {
	run_examples dh-invalidate
	[ "$(dh-ls --incomplete)" = "" ] || fail "left incomplete: $(dh-ls --incomplete)"
}

@test "dh-ls --help: the examples run as printed" {
	run_examples dh-ls
}

@test "dh-partition --help: the examples run as printed" {
	run_examples dh-partition
	[ -f state/daily/metrics/dt=2026-11-20/_SUCCESS ] || fail "no daily/metrics"
}

@test "--help ends with the pointer to the command's manual and to dh(7)" {
	local c failed= n=0
	for c in $(compgen -c dh- | sort -u); do
		n=$((n + 1))
		[ "$("$c" --help | tail -n 1)" = "See $c(1) for more, and dh(7) for what all commands share." ] ||
			failed+="  $c: $("$c" --help | tail -n 1)"$'\n'
	done
	[ "$n" -ge 8 ] || fail "only $n commands"
	[ -z "$failed" ] || fail "$failed"
}
