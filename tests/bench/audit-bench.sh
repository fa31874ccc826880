#!/bin/sh
# Audit log throughput with durability on, against plain appends of the same
# lines with one fdatasync per batch (tests/bench/auditbench.c). Runs in a
# scratch directory under /var/tmp: fdatasync on tmpfs would cost nothing.
set -eu
O=${1:-build}
work=$(mktemp -d /var/tmp/tn-audit-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "+ $O/bench/auditbench $work ${ROUNDS:-5} ${RECORDS:-2000}  ($(df -T "$work" | awk 'NR==2 {print $2}'))" >&2
"$O/bench/auditbench" "$work" "${ROUNDS:-5}" "${RECORDS:-2000}"
