#!/bin/sh
# Usage: tests/fuzz/run.sh O SECONDS
# Runs $O/fuzz/fuzz_{policy,request,httpd_request,quote_response,audit_line,log_checkpoint} (built by make) for SECONDS each from a
# scratch copy of tests/fuzz/corpus/*, then replays the corpus it grew with
# leak detection. Fuzzing itself runs with -detect_leaks=0: libconfig 1.5
# leaks on many syntax errors (see lsan.supp; by hand, set
# LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp) and a leak check after each
# makes fuzz_policy 40 times slower. Exits 1 if a fuzzer found a crash.
set -eu
O=$1 SECS=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tn-fuzz.XXXXXX")
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
rc=0
for t in policy request httpd_request quote_response audit_line log_checkpoint; do
	d=$work/$t
	mkdir -p "$d/corpus" "$d/crash"
	cp "$here/corpus/$t/"* "$d/corpus/"
	set -- -artifact_prefix="$d/crash/" -max_len=65536
	[ $t = request ] || set -- "$@" -dict="$here/policy.dict"
	if "$O/fuzz/fuzz_$t" "$@" -detect_leaks=0 -max_total_time="$SECS" \
		-print_final_stats=1 "$d/corpus" >"$d/log" 2>&1 &&
	   "$O/fuzz/fuzz_$t" "$@" -runs=0 "$d/corpus" >"$d/leaklog" 2>&1; then
		echo "fuzz_$t: ok, $(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log") execs in ${SECS}s, $(grep -ao 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' "$d/log" | tail -n1)"
	else
		rc=1
		echo "fuzz_$t: FAILED: $(ls "$d/crash/"* 2>/dev/null || echo 'no crash file') (logs in $d)"
		grep -sahm1 -A4 -E '^==[0-9]+== ?ERROR|runtime error|^fuzz_[a-z]+: ' "$d/log" "$d/leaklog" || true
	fi
done
[ $rc -ne 0 ] || rm -rf "$work"
exit $rc
