# Checks of a state directory, for the bats tests and scripts/crash-test.
# Needs jq and xxhsum.

# state_ok STATE: every partition with _SUCCESS has a _MANIFEST whose files
# are all there with the listed size and xxh128 (as xxhsum -H2 prints it),
# record counts adding up, and no data file the manifest does not list.
# Prints what is wrong and fails; quiet when all is well (and when STATE
# does not exist yet).
state_ok() {
	local state=$1 ok=0 s dir m name bytes hash records total listed
	[ -e "$state" ] || return 0
	while IFS= read -r s; do
		dir=${s%/_SUCCESS}
		m=$dir/_MANIFEST
		if [ ! -f "$m" ]; then
			echo "$dir: _SUCCESS without _MANIFEST"
			ok=1
			continue
		fi
		total=0
		while IFS=$'\t' read -r name bytes hash records; do
			if [ ! -f "$dir/$name" ]; then
				echo "$dir: $name is listed but missing"
				ok=1
				continue
			fi
			[ "$(stat -c %s "$dir/$name")" = "$bytes" ] ||
				{ echo "$dir: $name: size differs from the manifest"; ok=1; }
			[ "$(xxhsum -H2 "$dir/$name" 2>/dev/null | cut -d' ' -f1)" = "$hash" ] ||
				{ echo "$dir: $name: xxh128 differs from the manifest"; ok=1; }
			total=$((total + records))
		done < <(jq -r '.files[] | [.name, .bytes, .xxh128, .records] | @tsv' "$m")
		[ "$(jq .records "$m")" = "$total" ] ||
			{ echo "$dir: records do not add up"; ok=1; }
		listed=$(jq -r '.files[].name' "$m")
		for name in "$dir"/*; do
			[ -e "$name" ] || continue
			name=${name##*/}
			[[ $name == _* ]] && continue
			grep -qxF -- "$name" <<<"$listed" ||
				{ echo "$dir: $name is not in the manifest"; ok=1; }
		done
	done < <(find "$state" -name _SUCCESS)
	return $ok
}

# no_temp STATE: no temporary file is left anywhere in STATE.
no_temp() {
	local left
	left=$(find "$1" -name '.tmp.*')
	[ -z "$left" ] && return 0
	printf '%s\n' "temporary files left:" "$left" >&2
	return 1
}

# state_hashes DIR: "XXH128  PATH" for every regular file below DIR but
# _SUCCESS, _LOCK and _log.jsonl (PATH relative to DIR, in byte order):
# the data, manifests and _TABLE files, to compare a state before and
# after a run that must not change them.
state_hashes() {
	(cd "$1" && find . -type f ! -name _SUCCESS ! -name _LOCK ! -name _log.jsonl \
		-printf '%P\0' | LC_ALL=C sort -z | xargs -0r xxhsum -H2 2>/dev/null)
}

# state_successes DIR: the partitions below DIR that have _SUCCESS,
# relative to DIR, in byte order.
state_successes() {
	(cd "$1" && find . -name _SUCCESS -printf '%h\n' | sed 's|^\./||' | LC_ALL=C sort)
}

# journal_events STATE: the journal's lines as "EVENT TABLE PARTITION
# REASON", sorted and unique (time and command aside); fails when a line
# is not a complete JSON object.
journal_events() {
	local ev
	[ -e "$1/_log.jsonl" ] || return 0
	ev=$(jq -r '[.event, .table, .partition, (.reason // "")] | @tsv' "$1/_log.jsonl") ||
		{ echo "$1/_log.jsonl: a line is not a JSON object" >&2; return 1; }
	[ -z "$ev" ] || printf '%s\n' "$ev" | LC_ALL=C sort -u
}

# journal_covers STATE: every complete partition's publish is in the
# journal: a publish, append or ingest line with the manifest's table,
# partition and created time. Prints the partitions that lack one.
journal_covers() {
	local want have missing
	[ -e "$1" ] || return 0
	want=$(find "$1" -name _SUCCESS -printf '%h/_MANIFEST\0' | xargs -0r jq -r \
		'[.table, .partition, .created] | @tsv' | LC_ALL=C sort -u) || return 1
	[ -n "$want" ] || return 0
	have=$(jq -r 'select(.event != "invalidate") | [.table, .partition, .time] | @tsv' \
		"$1/_log.jsonl" 2>/dev/null | LC_ALL=C sort -u)
	missing=$(LC_ALL=C comm -23 <(echo "$want") <(echo "$have"))
	[ -z "$missing" ] && return 0
	printf '%s\n' "publishes not in the journal:" "$missing"
	return 1
}
