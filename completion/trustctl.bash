# bash completion for trustctl(8)                          -*- shell-script -*-
#
# Commands, subcommands and options are read from trustctl's own help
# ("trustctl --help", "trustctl help COMMAND"), so this file cannot fall
# behind the tool; workload and peer names come from the running agent
# ("trustctl workload list --json", "trustctl peer list --json"). Nothing
# here changes anything: only listing commands are run.

# The global options given so far (--socket PATH, --state-dir DIR), to ask
# the same agent the command line will.
_trustctl_globals()
{
    local i
    _tn_globals=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --socket | --state-dir)
            _tn_globals+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
            ((i++))
            ;;
        *) return ;;
        esac
    done
}

# Names from a "... list --json" answer: one JSON object per entry.
_trustctl_names()
{
    "$1" "${_tn_globals[@]}" "$2" list --json 2>/dev/null |
        grep -o '"name": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'
}

_trustctl()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    local ctl=${words[0]} i cmd= sub= usage
    local -a _tn_globals
    _trustctl_globals

    # The command is the first word that is not a global option or its value.
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        --socket | --state-dir) ((i++)) ;;
        *) cmd=${words[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        case $prev in
        --socket) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --state-dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
        esac
        local cmds
        cmds=$("$ctl" --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--socket --state-dir --help" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$cmds help" -- "$cur"))
        fi
        return
    fi
    if [[ $cmd == help ]]; then
        COMPREPLY=($(compgen -W "$("$ctl" --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')" -- "$cur"))
        return
    fi

    # The usage block of this command (up to its first empty line), one
    # line per form: what follows "trustctl CMD", continuation lines joined.
    usage=$("$ctl" help "$cmd" 2>/dev/null | awk -v c="$cmd" '
        NF == 0 { exit }
        match($0, "trustctl " c "( |$)") {
            if (e != "") print e
            e = " " substr($0, RSTART + RLENGTH); next
        }
        { e = e " " $0 }
        END { if (e != "") print e }')
    local subs
    subs=$(sed -n 's/^ \([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p' <<<"$usage" | sort -u)
    # A subcommand, when this command has them, is the word after it.
    if [[ -n $subs ]]; then
        local w=${words[i + 1]}
        if ((cword == i + 1)); then
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$(grep -o -- '--\?[a-z][a-z-]*' <<<"$usage" | grep '^-' | sort -u)" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$subs" -- "$cur"))
            fi
            # "trustctl tag PATH": a path is also a first argument.
            [[ $cmd == tag && $cur != -* ]] && COMPREPLY+=($(compgen -f -- "$cur"))
            return
        fi
        if grep -qx -- "$w" <<<"$subs"; then
            sub=$w
            usage=$(grep "^ $sub\( \|$\)" <<<"$usage")
        fi
    fi

    # "run ... -- CMD": the rest is an ordinary command line.
    if [[ $cmd == run ]]; then
        for ((i = 1; i < cword; i++)); do
            if [[ ${words[i]} == -- ]]; then
                # bash-completion completes CMD's own arguments too.
                if declare -F _command_offset >/dev/null; then
                    _command_offset $((i + 1))
                elif ((cword == i + 1)); then
                    COMPREPLY=($(compgen -c -- "$cur"))
                else
                    COMPREPLY=($(compgen -f -- "$cur"))
                fi
                return
            fi
        done
    fi

    # The value of an option: what its placeholder in the usage says.
    if [[ $prev == -* ]]; then
        local arg
        arg=$(grep -o -- "$prev \[\?[A-Z][A-Z:_]*" <<<"$usage" | head -1 | sed 's/.* \[\{0,1\}//')
        case $prev:$arg in
        --workload:*) COMPREPLY=($(compgen -W "$(_trustctl_names "$ctl" workload)" -- "$cur")); return ;;
        *:FILE) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        *:DIR) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
        *:USER) COMPREPLY=($(compgen -u -- "$cur")); return ;;
        *:CAP) COMPREPLY=($(compgen -W "CAP_SYS_ADMIN CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_MODULE CAP_SYS_PTRACE CAP_SYS_RAWIO CAP_MKNOD CAP_SYS_BOOT" -- "$cur")); return ;;
        *:?*) return ;;   # a value to type: LABEL, N, HEX, ADDR:PORT...
        esac
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(grep -o -- '--\?[a-z][a-z-]*' <<<"$usage" | grep '^-' | sort -u) --help" -- "$cur"))
        return
    fi
    # Positional arguments by what the usage calls them.
    case $cmd:$sub in
    workload:remove | workload:reset | workload:check)
        COMPREPLY=($(compgen -W "$(_trustctl_names "$ctl" workload)" -- "$cur")) ;;
    workload:add)
        compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    peer:accept | peer:remove | peer:log | attest:)
        COMPREPLY=($(compgen -W "$(_trustctl_names "$ctl" peer)" -- "$cur")) ;;
    policy:load | policy:check | tag: | untag:)
        compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
} &&
    complete -F _trustctl trustctl

# ex: filetype=sh
