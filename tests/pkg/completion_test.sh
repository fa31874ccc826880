#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bash completion for trustctl (completion/trustctl.bash), driven as bash
# drives it (COMP_WORDS, COMP_CWORD, the function complete -p names),
# against a real agent for workload and peer names. Without and with
# bash-completion's _init_completion. TAP. Needs root (the agent).
#   tests/pkg/completion_test.sh [BUILD]
set -u
cd "$(dirname "$0")/../.."
. tests/pkg/lib.sh
trap agent_stop EXIT

# comp WORDS...: completes the last word (may be empty); prints COMPREPLY.
comp() {
	COMP_WORDS=("$BUILD/trustctl" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$func" "$BUILD/trustctl" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort -u
}
# expect NAME "EXPECTED WORDS" WORDS...: COMPREPLY holds exactly these.
expect() {
	local name=$1 want got
	want=$(printf '%s\n' $2 | sort -u)
	shift 2
	got=$(comp "$@")
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		echo "#   completing: trustctl $*"
		echo "#   want: $(echo $want)"
		echo "#   got:  $(echo $got)"
		not_ok "$name"
	fi
}
# has NAME WORD WORDS...: COMPREPLY contains WORD.
has() {
	local name=$1 word=$2 got
	shift 2
	got=$(comp "$@")
	if grep -qx -- "$word" <<<"$got"; then
		ok "$name"
	else
		echo "#   completing: trustctl $*: no $word in: $(echo $got)"
		not_ok "$name"
	fi
}

agent_start || { not_ok "agent_starts"; done_testing; }
# A peer the policy names but nobody enrolled: listed by "peer list", and
# never contacted (the agent attests enrolled peers only).
cat >>"$TN_DIR/policy.conf" <<EOF2
peers = ( { name = "nodeb"; url = "http://198.51.100.9:8443"; addresses = [ "198.51.100.9" ]; } );
EOF2
check policy_with_a_peer_loads $TN_CTL policy load "$TN_DIR/policy.conf"
sock=(--socket "$TN_DIR/run/control.sock")
cmds=$("$BUILD/trustctl" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
touch "$TN_DIR/data/policy-a.conf"

run_cases() {
	local m=$1
	expect "$m.commands_are_trustctl_help_s" "$cmds help" ""
	expect "$m.a_command_prefix" "workload" wor
	expect "$m.global_options" "--help --socket --state-dir" --
	expect "$m.workload_subcommands" "add check list remove reset" workload ""
	expect "$m.peer_subcommands" "accept enroll list log remove" "${sock[@]}" peer ""
	expect "$m.workload_names_from_the_agent" "wlcomp" "${sock[@]}" workload reset ""
	expect "$m.run_workload_names" "wlcomp" "${sock[@]}" run --workload ""
	expect "$m.peer_names_from_the_agent" "nodeb" "${sock[@]}" peer remove ""
	expect "$m.attest_peer_names" "nodeb" "${sock[@]}" attest ""
	expect "$m.no_agent_no_names" "" --socket /nonexistent/sock workload check ""
	# Options on a continuation line of the usage, and short ones.
	has "$m.enroll_options_of_the_second_usage_line" --accept-policy peer enroll http://x --
	has "$m.enroll_options_of_the_first_usage_line" --ca peer enroll http://x --
	expect "$m.log_tail_options" "--dir --help --json -f -n" log tail -
	expect "$m.run_options" "--cap --help --keep-fd --require-nsdelegate --user --workload" run --
	expect "$m.cap_values" "CAP_NET_RAW CAP_NET_ADMIN" run --cap CAP_NET_
	expect "$m.policy_file" "$TN_DIR/data/policy-a.conf" policy load "$TN_DIR/data/policy-"
	expect "$m.option_with_a_free_value_offers_nothing" "" tag /x --label ""
	has "$m.after_double_dash_a_command" bash run --workload wlcomp -- bas
}

func=_trustctl
. completion/trustctl.bash
[ "$(complete -p trustctl)" = "complete -F _trustctl trustctl" ] &&
	ok "registers_for_trustctl" || not_ok "registers_for_trustctl"
run_cases plain
if [ -r /usr/share/bash-completion/bash_completion ]; then
	# With bash-completion loaded, as on a Debian node.
	. /usr/share/bash-completion/bash_completion
	. completion/trustctl.bash
	run_cases bash_completion
else
	skip bash_completion "bash-completion is not installed"
fi
done_testing
