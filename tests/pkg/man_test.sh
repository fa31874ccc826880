#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The man pages agree with the programs and the policy document: trustctl's
# command list, trustnoded's options, trustnode.conf(5) made from
# docs/policy.md and up to date with it; and they render without a groff
# warning (as lintian checks them). TAP.
#   tests/pkg/man_test.sh [BUILD]
set -u
cd "$(dirname "$0")/../.."
. tests/pkg/lib.sh

same() {	# NAME "A" "B": two word lists, compared as sets
	local name=$1 a b
	a=$(printf '%s\n' $2 | sort -u) b=$(printf '%s\n' $3 | sort -u)
	if [ "$a" = "$b" ]; then
		ok "$name"
	else
		diff <(echo "$a") <(echo "$b") | sed 's/^/#   /'
		not_ok "$name"
	fi
}

help_cmds=$("$BUILD/trustctl" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
src_cmds=$(sed -n 's/^## trustctl \([a-z]\+\)$/\1/p' docs/man/trustctl.8.md)
page_cmds=$(sed -n 's/^\.SS trustctl \([a-z]\+\)$/\1/p' "$BUILD/man/trustctl.8")
check trustctl_help_lists_commands test -n "$help_cmds"
same trustctl_help_and_man_source_list_the_same_commands "$help_cmds" "$src_cmds"
same trustctl_help_and_man_page_list_the_same_commands "$help_cmds" "$page_cmds"

help_opts=$("$BUILD/trustnoded" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
page_opts=$(sed -n '/^# OPTIONS/,/^# FILES/p' docs/man/trustnoded.8.md |
	grep -o -- '^\*\*--[a-z][a-z-]*' | tr -d '*')
same trustnoded_help_and_man_page_have_the_same_options "$help_opts" "$page_opts --help"

# trustnode.conf(5) is docs/policy.md converted: every heading and every
# setting of the document is on the page, and the page is not older.
page=$(MANWIDTH=200 man -l "$BUILD/man/trustnode.conf.5" 2>/dev/null)
missing=
while read -r h; do
	grep -qiF -- "$h" <<<"$page" || missing="$missing [$h]"
done < <(sed -n 's/^#\+ //p' docs/policy.md | tr -d '`'; sed -n 's/^| `\([a-z_]*\)` |.*/\1/p' docs/policy.md)
check trustnode_conf_5_holds_every_heading_and_setting_of_policy_md test -z "$missing"
[ -n "$missing" ] && echo "#   missing:$missing"
check trustnode_conf_5_is_up_to_date_with_policy_md make -q O="$BUILD" "$BUILD/man/trustnode.conf.5"

for f in "$BUILD"/man/trustnoded.8 "$BUILD"/man/trustctl.8 "$BUILD"/man/trustnode.conf.5; do
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
	check "$(basename "$f")_renders_without_warnings" test -z "$w"
	[ -n "$w" ] && echo "$w" | head -5 | sed 's/^/#   /'
	check "$(basename "$f")_has_a_NAME_section" grep -q '^\.SH NAME' "$f"
done
done_testing
