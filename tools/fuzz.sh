#!/usr/bin/env bash
# Every libFuzzer target (tests/fuzz/fuzz_*.c), built with clang under the
# address and undefined-behaviour sanitizers, for SECONDS each (default 30).
#
#   tools/fuzz.sh [SECONDS]
#
# For each target, the inputs kept in tests/fuzz/regress/TARGET/ are run
# once first (no fuzzing) and must not fail; then the fuzzer starts from the
# seeds in tests/fuzz/corpus/TARGET/.  What it adds to the corpus stays in a
# temporary copy, never in the repository.  An input that crashes, times out
# or runs out of memory fails the script; it is kept under
# BUILD_DIR/fuzz-artifacts/TARGET/ and its path printed, to be copied into
# tests/fuzz/regress/TARGET/ once fixed.  BUILD_DIR defaults to build-fuzz.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-30}
case $secs in
''|*[!0-9]*) echo "usage: tools/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
tools/deps.sh
BUILD_DIR=${BUILD_DIR:-build-fuzz}
CC=clang cmake -S . -B "$BUILD_DIR" -DTRIAGED_FUZZ=ON -DTRIAGED_WERROR=ON \
    -DTRIAGED_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=
for src in tests/fuzz/fuzz_*.c; do
	targets="$targets $(basename "$src" .c)"
done
cmake --build "$BUILD_DIR" -j"$(nproc)" --target $targets >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export UBSAN_OPTIONS=print_stacktrace=1
# A single input that takes this long is a finding, not a slow machine.
opts="-timeout=10 -rss_limit_mb=2048"
failed=

# What went wrong for target $1, from its log $2; the input that failed is
# the last one run ($3 = regress) or the one the fuzzer wrote out.
report() {
	local t=$1 log=$2 input
	echo "FAIL $t"
	grep -E "ERROR|SUMMARY|runtime error|#[0-9]+ 0x" "$log" | head -40
	if [ "$3" = regress ]; then
		input=$(sed -n 's/^Running: //p' "$log" | tail -1)
		echo "the input: $input (already kept; the fix is missing)"
	else
		input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
		echo "the input: ${input:-not written, see $log}"
		echo "once fixed, keep it: mkdir -p tests/fuzz/regress/$t &&" \
		    "cp '${input:-INPUT}' tests/fuzz/regress/$t/"
	fi
	failed="$failed $t"
}

for t in $targets; do
	bin=$BUILD_DIR/tests/$t
	art=$BUILD_DIR/fuzz-artifacts/$t
	mkdir -p "$art" "$work/$t"
	log=$BUILD_DIR/fuzz-artifacts/$t.log

	# Inputs that once failed; a missing or empty directory has none.
	set -- tests/fuzz/regress/"$t"/[!.]*
	if [ -e "$1" ]; then
		if ! "$bin" $opts -artifact_prefix="$art/" "$@" >"$log" 2>&1
		then
			report "$t" "$log" regress
			continue
		fi
		echo "ok   $t: $# regression inputs"
	fi

	cp tests/fuzz/corpus/"$t"/* "$work/$t"/ 2>/dev/null || true
	if ! "$bin" $opts -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix="$art/" "$work/$t" >"$log" 2>&1; then
		report "$t" "$log" fuzz
		continue
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "ok   $t: $runs runs in ${secs}s, corpus" \
	    "$(ls tests/fuzz/corpus/"$t" 2>/dev/null | wc -l) seeds ->" \
	    "$(ls "$work/$t" | wc -l) inputs"
done

if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed (logs in $BUILD_DIR/fuzz-artifacts/)"
	exit 1
fi
