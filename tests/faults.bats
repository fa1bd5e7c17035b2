#!/usr/bin/env bats
# Fault injection (scripts/fault-test; its every-call run is `make
# fault-test`): each system call a publishing command makes fails in
# turn, a sample of them here; every failure is exit 4 naming a path, with
# the version committed before intact (or, past the point of no return,
# incomplete and repaired by a rerun), no temporary file left, no fsync
# retried, and the few failures a command survives listed with a reason.

load helper

setup() {
	dh_setup
	ROOT=$BATS_TEST_DIRNAME/..
	command -v strace >/dev/null || skip "strace is not installed (scripts/deps installs it)"
	strace -f -qq -o /dev/null true 2>/dev/null ||
		skip "strace cannot trace here: ptrace is not permitted (a container without CAP_SYS_PTRACE?)"
	# the plain build's system calls are the ones under test: LeakSanitizer
	# cannot run under ptrace, and the sanitizers' own calls would fail too
	if grep -q __asan_init "$ROOT/${BUILD:-build}/bin/dh-partition"; then
		skip "built with AddressSanitizer: fault injection runs on the plain build (make check)"
	fi
}

# fault COMMAND PROGRAM: the sampled run for one command passes
fault() {
	capture env DH_BUILD="$ROOT/${BUILD:-build}" "$ROOT/scripts/fault-test" --points 5 "$1"
	assert_status 0
	assert_out_match "^fault-test: $2: [0-9]+ injected failures, every one exit 4 \\(or a tolerated 0: [0-9]+\\) with the previous version intact"
}

@test "dh-partition: a failing system call is exit 4 and leaves the committed version or a repairable one" {
	fault partition dh-partition
}

@test "dh-partition --append: a failing system call is exit 4 and never changes a file the partition held" {
	fault append "dh-partition --append"
}

@test "dh-ingest: a failing system call is exit 4 and loses no raw file landed before" {
	fault ingest dh-ingest
}

@test "dh-dedup --seen: a failing system call is exit 4 and leaves the seen file as it was" {
	fault dedup dh-dedup
}

@test "dh-invalidate: a failing system call is exit 4 and changes no data; a rerun finishes the job" {
	fault invalidate dh-invalidate
}

@test "dh-check recording results: a failing system call is exit 4 and leaves the manifest whole" {
	fault check dh-check
}

@test "the parallel paths (FAULT_THREADS=2): dh-partition and dh-ingest, a failing system call is exit 4 with the committed version intact" {
	capture env FAULT_THREADS=2 DH_BUILD="$ROOT/${BUILD:-build}" "$ROOT/scripts/fault-test" --points 5 partition ingest
	assert_status 0
	assert_out_match "^fault-test: dh-partition: [0-9]+ injected failures, every one exit 4 .*"$'\n'"fault-test: dh-ingest: [0-9]+ injected failures, every one exit 4 "
}
