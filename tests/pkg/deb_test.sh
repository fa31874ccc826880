#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The packages `make deb` left in BUILD/deb: lintian finds no error or
# warning; they hold what the README's install section relies on; the
# default policy protects nothing; the unit is neither enabled nor started
# by installing, and an upgrade restarts the agent, never the slice. TAP.
#   tests/pkg/deb_test.sh [BUILD]
set -u
cd "$(dirname "$0")/../.."
. tests/pkg/lib.sh

v=$(cat VERSION)
deb=$BUILD/deb/trustnode_${v}_amd64.deb
dkms=$BUILD/deb/trustnode-dkms_${v}_all.deb
check packages_are_built test -f "$deb" -a -f "$dkms"
[ -f "$deb" ] && [ -f "$dkms" ] || done_testing

if command -v lintian >/dev/null; then
	out=$(lintian --pedantic "$BUILD"/deb/*.changes 2>&1 | grep -E '^[EW]:')
	check lintian_reports_no_error_or_warning test -z "$out"
	[ -n "$out" ] && echo "$out" | sed 's/^/#   /'
else
	skip lintian_reports_no_error_or_warning "lintian is not installed"
fi

# Reproducible builds are checked by `make deb-repro` (two more builds,
# 1-2 min here), not on every make check.

files=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
for f in /usr/sbin/trustnoded /usr/bin/trustctl /usr/libexec/trustnode/trustnode-httpd \
	/lib/systemd/system/trustnoded.service /lib/systemd/system/trustnode.slice \
	/usr/lib/sysusers.d/trustnode.conf /usr/lib/tmpfiles.d/trustnode.conf \
	/etc/trustnode/policy.conf /usr/share/man/man8/trustnoded.8.gz \
	/usr/share/man/man8/trustctl.8.gz /usr/share/man/man5/trustnode.conf.5.gz \
	/usr/share/bash-completion/completions/trustctl \
	/usr/share/doc/trustnode/examples/trustnode-workload.conf; do
	check "ships_$f" grep -qx "$f" <<<"$files"
done
check dkms_package_ships_the_source bash -c \
	"dpkg-deb -c '$dkms' | grep -q './usr/src/trustnode-$v/kmod/main.c'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -e "$deb" "$tmp/ctl"
dpkg-deb -x "$deb" "$tmp/root"
check policy_conf_is_a_conffile grep -qx /etc/trustnode/policy.conf "$tmp/ctl/conffiles"
check default_policy_protects_nothing bash -c \
	"'$BUILD/trustctl' policy check '$tmp/root/etc/trustnode/policy.conf' | grep -q ', 0 tags, 0 workloads'"
check postinst_makes_the_group_and_user grep -q 'systemd-sysusers.*trustnode.conf' "$tmp/ctl/postinst"
check postinst_makes_the_directories grep -q 'systemd-tmpfiles.*--create trustnode.conf' "$tmp/ctl/postinst"
# dh_installsystemd's snippet re-enables only a unit the operator enabled.
check install_does_not_enable_or_start bash -c \
	"! grep -q 'deb-systemd-invoke start' '$tmp/ctl/postinst' &&
	 grep -B2 'deb-systemd-helper enable' '$tmp/ctl/postinst' | grep -q was-enabled"
check upgrade_restarts_the_agent_only bash -c \
	"grep -q \"try-restart 'trustnoded.service'\" '$tmp/ctl/postinst' && ! grep -q 'trustnode.slice' '$tmp/ctl/postinst'"
check remove_stops_the_agent grep -q 'deb-systemd-invoke stop trustnoded.service' "$tmp/ctl/prerm"
check purge_removes_state_and_pins grep -q 'rm -rf /var/lib/trustnode /run/trustnode' "$tmp/ctl/postrm"
# dpkg-buildflags' hardening: PIE, full RELRO, fortified calls, stack protector.
check hardened_binaries bash -c \
	"for b in '$tmp'/root/usr/sbin/trustnoded '$tmp'/root/usr/bin/trustctl \
		'$tmp'/root/usr/libexec/trustnode/trustnode-httpd; do
		readelf -d \"\$b\" | grep -q BIND_NOW && readelf -h \"\$b\" | grep -q 'DYN ' &&
		readelf -lW \"\$b\" | grep -q GNU_RELRO && nm -D \"\$b\" | grep -q '_chk@' &&
		nm -D \"\$b\" | grep -q __stack_chk_fail || { echo \"not hardened: \$b\"; exit 1; }
	 done"
done_testing
