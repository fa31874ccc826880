#!/bin/sh
# Usage: tests/fuzz/run.sh O SECONDS
# Runs build/fuzz/fuzz_{policy,request} (built by make) for SECONDS each, from
# scratch copies of tests/fuzz/corpus/*, and exits 1 if either found a crash.
set -eu
O=$1 SECS=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tn-fuzz.XXXXXX")
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
rc=0
for t in policy request; do
	mkdir -p "$work/$t/corpus" "$work/$t/crash"
	cp "$here/corpus/$t/"* "$work/$t/corpus/"
	set -- -max_total_time="$SECS" -artifact_prefix="$work/$t/crash/" \
		-print_final_stats=1
	[ "$t" = policy ] && set -- "$@" -max_len=65536 -dict="$here/policy.dict"
	if "$O/fuzz/fuzz_$t" "$@" "$work/$t/corpus" >"$work/$t/log" 2>&1; then
		echo "fuzz_$t: ok, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t/log" | grep -o '[0-9]*$') execs in ${SECS}s, $(grep -o 'cov: [0-9]*' "$work/$t/log" | tail -n1)"
	else
		rc=1
		echo "fuzz_$t: FAILED; crash: $(ls "$work/$t/crash/"* 2>/dev/null || echo none) log: $work/$t/log"
		grep -m1 -A3 -E '^==[0-9]+==ERROR|runtime error|fuzz_[a-z]+: ' "$work/$t/log" || true
	fi
done
[ $rc -ne 0 ] || rm -rf "$work"
exit $rc
