#!/bin/bash
# Attestation throughput, in one run, interleaved (ROUNDS rounds):
#   served:   quotes per second from trustnoded's HTTP API (curl, one
#             connection, a fresh nonce per request), against
#   baseline: one tpm2_quote process per request on the same swtpm, what an
#             operator would script without trustnode (the agent is stopped
#             then: a swtpm socket serves one client at a time);
#   verify:   verifications per second (tnverify, in process), against one
#             tpm2_checkquote process per verification.
# Prints medians with min..max, and the ratios. Nothing leaves the namespace
# the script creates; the agent attaches below a cgroup it creates.
set -eu
O=${1:-build}
ROUNDS=${ROUNDS:-5} NQ=${NQ:-100} NB=${NB:-30} NV=${NV:-300}
TAG=tnab NAME=attest-bench
. "$(dirname "$0")/attest-node.sh"

now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{ printf "%.1f", $1 / ($3 - $2) }'; }

served_round() {
	local urls=() t0 t1
	for _ in $(seq "$NQ"); do urls+=("http://127.0.0.1:8443/v1/quote?nonce=$(nonce)"); done
	t0=$(now)
	ip netns exec "$ns" curl -sf "${urls[@]}" >/dev/null
	t1=$(now)
	rate "$NQ" "$t0" "$t1"
}

# Runs "$@" n times: calls per second.
per_second() {
	local n=$1 t0 t1
	shift
	t0=$(now)
	for _ in $(seq "$n"); do "$@"; done
	t1=$(now)
	rate "$n" "$t0" "$t1"
}
tpm2_quote_once() {
	TPM2TOOLS_TCTI=$tcti tpm2_quote -Q -c 0x81010002 -l sha256:13 -q "$(nonce)" \
		-m "$work/msg" -s "$work/sig" -o "$work/pcrs"
	TPM2TOOLS_TCTI=$tcti tpm2_flushcontext -t
}
tpm2_checkquote_once() {
	tpm2_checkquote -Q -u "$work/ak.pub" -m "$work/msg" -s "$work/sig" \
		-f "$work/pcrs" -g sha256 -q "$bnonce"
}
baseline_round() { per_second "$NB" tpm2_quote_once; }
checkquote_round() { per_second "$NB" tpm2_checkquote_once; }

# Enrol once (pins the AK and the policy) and keep one answer to verify.
start_agent
ip netns exec "$ns" "$O/trustctl" --state-dir "$work/verifier" peer enroll \
	http://127.0.0.1:8443 --name bench >/dev/null
vnonce=$(nonce)
ip netns exec "$ns" curl -sf -o "$work/answer.json" "http://127.0.0.1:8443/v1/quote?nonce=$vnonce"
ip netns exec "$ns" curl -sf http://127.0.0.1:8443/v1/identity |
	python3 -c 'import json,sys; sys.stdout.buffer.write(bytes.fromhex(json.load(sys.stdin)["ak_public"]))' > "$work/ak.pub"
stop_agent

served=() base=() ver=() chk=()
for r in $(seq "$ROUNDS"); do
	start_agent
	served+=("$(served_round)")
	stop_agent
	base+=("$(baseline_round)")
	bnonce=$(nonce)
	TPM2TOOLS_TCTI=$tcti tpm2_quote -Q -c 0x81010002 -l sha256:13 -q "$bnonce" \
		-m "$work/msg" -s "$work/sig" -o "$work/pcrs"
	ver+=("$("$O/bench/tnverify" "$work/verifier" bench "$work/answer.json" "$vnonce" "$NV" | awk '{print $2}')")
	chk+=("$(checkquote_round)")
	echo "round $r: served ${served[-1]}/s, tpm2_quote ${base[-1]}/s, verify ${ver[-1]}/s, tpm2_checkquote ${chk[-1]}/s" >&2
done

echo
echo "attestation, $ROUNDS interleaved rounds on one swtpm (median, min..max):"
echo "  quotes served by trustnoded over HTTP:   $(median "${served[@]}") per s"
echo "  one tpm2_quote process per request:      $(median "${base[@]}") per s"
echo "  ratio served/tpm2_quote:                 $(echo "$(m "${served[@]}") $(m "${base[@]}")" | awk '{printf "%.2f", $1/$2}')"
echo "  verifications (all checks, in process):  $(median "${ver[@]}") per s"
echo "  one tpm2_checkquote process per quote:   $(median "${chk[@]}") per s"
echo "  ratio verify/tpm2_checkquote:            $(echo "$(m "${ver[@]}") $(m "${chk[@]}")" | awk '{printf "%.2f", $1/$2}')"
