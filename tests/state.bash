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
