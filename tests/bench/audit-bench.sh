#!/bin/sh
# Audit log throughput with durability on, against plain appends of the same
# lines with one fdatasync per batch (tests/bench/auditbench.c), and the
# cost of serving one page of GET /v1/log as the log grows. Runs in a
# scratch directory under /var/tmp: fdatasync on tmpfs would cost nothing.
set -eu
O=${1:-build}
work=$(mktemp -d /var/tmp/tn-audit-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "+ $O/bench/auditbench $work ${ROUNDS:-5} ${RECORDS:-2000}  ($(df -T "$work" | awk 'NR==2 {print $2}'))" >&2
"$O/bench/auditbench" "$work" "${ROUNDS:-5}" "${RECORDS:-2000}"
# Serving a page of GET /v1/log as the log grows (tests/bench/logpagebench.c).
mkdir "$work/pages"
echo "+ $O/bench/logpagebench $work/pages ${PAGE_RECORDS:-200000} ${ROUNDS:-5}" >&2
"$O/bench/logpagebench" "$work/pages" "${PAGE_RECORDS:-200000}" "${ROUNDS:-5}"
