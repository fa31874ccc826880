#!/bin/bash
# Quote answers and their verification as the measurement log grows: with
# 10, 1,000 and 100,000 entries on the node (SIZES), for
#   caught-up: a verifier that judged the log a few anchors ago asks for the
#              tail from there (since/at);
#   new:       a verifier that meets this boot for the first time asks
#              without a position: the whole log while it fits the limits,
#              else the tail from the newest signed checkpoint;
#   whole:     the baseline, a verifier that is sent the whole log (what
#              every answer was before tails: built from the node's files,
#              since the node no longer sends a log beyond the limits).
# Prints answer bytes and verifications per second (tnverify, in process,
# median of ROUNDS interleaved rounds, min..max) and the ratios against the
# baseline. The log grows through the real TPM (loggrow: anchors appended
# and extended into PCR 13 with the agent stopped). Nothing leaves the
# namespace the script creates; the agent attaches below a cgroup it creates.
set -eu
O=${1:-build}
ROUNDS=${ROUNDS:-5} NV=${NV:-300} NEWANCHORS=${NEWANCHORS:-5}
SIZES=${SIZES:-"10 1000 100000"}
TAG=tnlb NAME=attest-log-bench
. "$(dirname "$0")/attest-node.sh"

ctl() { "$O/trustctl" --socket "$work/run/control.sock" "$@"; }
entries() { wc -l < "$work/state/measurements.jsonl"; }
quote() { ip netns exec "$ns" curl -sf -o "$2" "http://127.0.0.1:8443/v1/quote?nonce=$1$3"; }
bytes() { stat -c %s "$1"; }
position() {
	python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["measurement_log_seen"]; print("&since=%d&at=%s" % (l["entries"], l["chain"]))' \
		"$work/verifier/peers/bench.json"
}
# The whole log in one answer, checkpoint texts included, from a real one.
whole() {
	python3 - "$1" "$2" "$work/state" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
d = sys.argv[3]
a["event_log"] = [json.loads(l) for l in open(d + "/measurements.jsonl")]
a["log_from"] = 0
a.pop("checkpoint", None)
a.pop("log_note", None)
try:
    a["checkpoints"] = [json.loads(l) for l in open(d + "/measurement-checkpoints.jsonl")]
except FileNotFoundError:
    a["checkpoints"] = []
json.dump(a, open(sys.argv[2], "w"), separators=(",", ":"))
PY
}
# Whole logs of 100,000 entries take seconds each: fewer runs for those.
verify() {
	local n=$NV e
	e=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["event_log"]))' "$1")
	[ $((e * n)) -gt 400000 ] && n=$((400000 / e))
	[ "$n" -lt 3 ] && n=3
	"$O/bench/tnverify" "$work/verifier" bench "$1" "$2" "$n" ${3:-} | awk '{print $2}'
}

start_agent
have=$(entries) rss=()
printf '\n%-8s %-10s %12s %26s %8s %8s\n' entries verifier "answer B" "verifications/s" "B ratio" "v ratio"
for size in $SIZES; do
	# Grow to size entries (less the anchors each round adds).
	stop_agent
	grow=$((size - have - NEWANCHORS))
	[ "$grow" -gt 0 ] && "$O/bench/loggrow" "$work/state" "$tcti" "$grow"
	start_agent
	rm -rf "$work/verifier"
	ip netns exec "$ns" "$O/trustctl" --state-dir "$work/verifier" peer enroll \
		http://127.0.0.1:8443 --name bench >/dev/null 2>&1
	# A few anchors more: what a verifier that keeps up has not seen yet.
	for _ in $(seq "$NEWANCHORS"); do
		quote "$(nonce)" /dev/null ""
		ctl log checkpoint >/dev/null
	done
	have=$(entries)
	n1=$(nonce) n2=$(nonce)
	quote "$n1" "$work/caught.json" "$(position)"
	quote "$n2" "$work/new.json" ""
	whole "$work/new.json" "$work/whole.json"
	c=() w=() b=()
	for r in $(seq "$ROUNDS"); do
		c+=("$(verify "$work/caught.json" "$n1")")
		w+=("$(verify "$work/new.json" "$n2" new)")
		b+=("$(verify "$work/whole.json" "$n2" new)")
	done
	bb=$(bytes "$work/whole.json")
	rss+=("$have entries: $(awk '/VmRSS/{print $2}' "/proc/$agent/status") kB")
	for kind in caught-up new whole; do
		case $kind in
		caught-up) f=$work/caught.json; v=("${c[@]}") ;;
		new) f=$work/new.json; v=("${w[@]}") ;;
		whole) f=$work/whole.json; v=("${b[@]}") ;;
		esac
		printf '%-8s %-10s %12s %26s %8s %8s\n' "$have" "$kind" "$(bytes "$f")" "$(median "${v[@]}")" \
			"$(echo "$(bytes "$f") $bb" | awk '{printf "%.3g", $1/$2}')" \
			"$(echo "$(m "${v[@]}") $(m "${b[@]}")" | awk '{printf "%.2f", $1/$2}')"
	done
done
echo
echo "trustnoded's resident memory (a window of the log stays in memory): ${rss[*]}"
echo "B ratio: answer bytes / whole-log answer bytes; v ratio: verifications per second / whole-log ones."
echo "The HTTP front refuses answers over 1048576 bytes: a whole-log answer beyond that is never sent."
