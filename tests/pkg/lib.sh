# SPDX-License-Identifier: GPL-2.0-only
# Shared by tests/pkg/*_test.sh: TAP output, and a real trustnoded below a
# test cgroup (never the machine's root cgroup) with its own state, run
# directory and pins, removed again on exit. Source it from bash.

BUILD=${1:-${TN_BUILD:-build}}
_tn_n=0 _tn_failed=0
ok() {
	_tn_n=$((_tn_n + 1))
	echo "ok $_tn_n $1"
}
not_ok() {
	_tn_n=$((_tn_n + 1))
	echo "not ok $_tn_n $1"
	_tn_failed=1
}
skip() {
	_tn_n=$((_tn_n + 1))
	echo "ok $_tn_n $1 # SKIP $2"
}
# check NAME CMD...: ok when CMD succeeds; its output is shown when not.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
		not_ok "$name"
	fi
}
done_testing() {
	echo "1..$_tn_n"
	exit $_tn_failed
}

# agent_start [WRAPPER...]: starts BUILD/trustnoded (behind WRAPPER, e.g.
# setpriv ...) attached at a new cgroup $TN_CG with workload "wlcomp" at
# $TN_CG/wl and $TN_DIR/data/secret tagged "phi"; waits for its socket.
# $TN_CTL runs trustctl against it.
agent_start() {
	local cg2 i
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	TN_ID=pkg$$x${_tn_seq:=0}
	_tn_seq=$((_tn_seq + 1))
	TN_CG=$cg2/tntest.$TN_ID
	# TMPDIR: the guest's /tmp is overlayfs, where files cannot be tagged.
	TN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tntest.XXXXXX")
	TN_PIN=/sys/fs/bpf/tntest_$TN_ID
	mkdir -p "$TN_CG/wl" "$TN_DIR/data" "$TN_DIR/state" "$TN_DIR/run"
	echo secret >"$TN_DIR/data/secret"
	cat >"$TN_DIR/policy.conf" <<-EOT
	version = 1;
	tags = ( { path = "$TN_DIR/data/secret"; labels = [ "phi" ]; } );
	workloads = ( { name = "wlcomp"; cgroup = "$TN_CG/wl"; } );
	EOT
	TN_CTL="$BUILD/trustctl --socket $TN_DIR/run/control.sock"
	# libbpf's messages stay in the log: shown when the agent fails.
	"$@" "$BUILD/trustnoded" --cgroup "$TN_CG" \
		--state-dir "$TN_DIR/state" --run-dir "$TN_DIR/run" --pin-dir "$TN_PIN" \
		--policy "$TN_DIR/policy.conf" --tcti none >"$TN_DIR/agent.log" 2>&1 &
	TN_AGENT=$!
	for i in $(seq 100); do
		[ -S "$TN_DIR/run/control.sock" ] && return 0
		kill -0 "$TN_AGENT" 2>/dev/null || break
		sleep 0.1
	done
	tail -25 "$TN_DIR/agent.log" | sed 's/^/#   agent: /'
	return 1
}

agent_stop() {
	[ -n "${TN_AGENT:-}" ] || return 0
	kill "$TN_AGENT" 2>/dev/null
	wait "$TN_AGENT" 2>/dev/null
	"$BUILD/trustnoded" --unload --pin-dir "$TN_PIN" >/dev/null 2>&1
	# Processes the test put into the workload are gone by now.
	rmdir "$TN_CG"/wl/* "$TN_CG/wl" "$TN_CG" 2>/dev/null
	rm -rf "$TN_DIR"
	TN_AGENT=
}

# ---- a chroot on an overlay of this machine's root ------------------------
# For installing the packages without changing this machine: run the test
# in a private mount namespace (reexec_private_mounts "$@" first); writes
# go to a tmpfs ($W/upper). $R is the root; in_root CMD runs there.
reexec_private_mounts() {
	[ "${TN_PRIVATE_MOUNTS:-}" = 1 ] && return 0
	exec env TN_PRIVATE_MOUNTS=1 unshare -m --propagation private "$0" "$@"
}

overlay_root() {
	W=$(mktemp -d /tmp/tnpkg-root.XXXXXX)
	R=$W/root
	mount -t tmpfs tmpfs "$W"
	mkdir -p "$W/upper" "$W/work" "$R"
	mount -t overlay overlay -o lowerdir=/,upperdir="$W/upper",workdir="$W/work" "$R"
	mount -t proc proc "$R/proc"
	mount --rbind /sys "$R/sys"
	mount --rbind /dev "$R/dev"
	mount -t tmpfs tmpfs "$R/run"
	mount -t tmpfs tmpfs "$R/tmp"
	# No package source at all: what is not installed already cannot come in.
	mkdir "$R/tmp/nosources.d" && : >"$R/tmp/nosources.list"
	NOSRC=(-o Dir::Etc::SourceList=/tmp/nosources.list -o Dir::Etc::SourceParts=/tmp/nosources.d)
}
in_root() { chroot "$R" "$@"; }
apt_in_root() {	# apt-get ARGS... in the root; its output shown on failure
	local out
	out=$(chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get -y "${NOSRC[@]}" \
		--no-install-recommends "$@" 2>&1) && return 0
	echo "$out" | tail -20 | sed 's/^/#   /'
	return 1
}

# unit_agent_start: the installed trustnoded as the installed unit's
# ExecStart= runs it, with the unit's capability set, but attached below a
# new test cgroup ($TN_CG, workload cgroup $TN_CG/wl) with test pins
# ($TN_PIN) and no TPM. unit_agent_stop: SIGTERM (the pins stay);
# unit_agent_unload: --unload and remove the test cgroup.
TN_AGENT= TN_CG=/nonexistent TN_PIN=
unit_agent_start() {
	local unit=$R/lib/systemd/system/trustnoded.service cg2 exec_start caps i
	if [ "$TN_CG" = /nonexistent ]; then
		cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
		TN_CG=$cg2/tntest.pkgi$$ TN_PIN=/sys/fs/bpf/tntest_pkgi$$
		mkdir -p "$TN_CG/wl"
	fi
	exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
	exec_start=${exec_start/--cgroup \/sys\/fs\/cgroup\/trustnode.slice/--cgroup $TN_CG}
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" |
		tr 'A-Z ' 'a-z\n' | sed 's/^cap_/+/' | paste -sd,)
	echo "# ExecStart: $exec_start --pin-dir $TN_PIN --tcti none"
	rm -f "$R/run/trustnode/control.sock"
	# shellcheck disable=SC2086
	chroot "$R" setpriv --bounding-set="-all,$caps" --inh-caps=-all --no-new-privs \
		env TRUSTNODE_QUIET_LIBBPF=1 $exec_start --pin-dir "$TN_PIN" --tcti none \
		>>"$W/agent.log" 2>&1 &
	TN_AGENT=$!
	for i in $(seq 100); do
		[ -S "$R/run/trustnode/control.sock" ] && return 0
		sleep 0.1
	done
	sed 's/^/#   agent: /' "$W/agent.log" | tail -5
	return 1
}
unit_agent_stop() {
	[ -n "$TN_AGENT" ] || return 0
	kill "$TN_AGENT" 2>/dev/null
	wait "$TN_AGENT" 2>/dev/null
	TN_AGENT=
}
unit_agent_unload() {
	unit_agent_stop
	[ -n "$TN_PIN" ] && [ -x "$R/usr/sbin/trustnoded" ] &&
		chroot "$R" /usr/sbin/trustnoded --unload --pin-dir "$TN_PIN" >/dev/null 2>&1
	[ -n "$TN_PIN" ] && [ -d "$TN_PIN" ] && rm -rf "$TN_PIN"
	rmdir "$TN_CG/wl" "$TN_CG" 2>/dev/null
	TN_PIN=
}
overlay_root_cleanup() {
	unit_agent_unload
	[ -n "${W:-}" ] || return 0
	umount -l -R "$R" 2>/dev/null
	umount -l "$W" 2>/dev/null
	rmdir "$W"
}

# ---- what a purge left behind ------------------------------------------
# upper_snapshot UPPER: the paths in an overlay's upper layer (not /tmp,
# /run). leftovers UPPER LOWER BEFORE AFTER: the paths new in AFTER that
# the purge did not put back as they were: new to the overlay and absent
# below it (LOWER, the lower layer; "" for this machine's root) or there
# otherwise (a copied-up directory, or a file written again with the same
# content, as depmod does, is not a leftover). Kept on purpose (README):
# the group and the user (Debian keeps system users), the records apt,
# dpkg and man-db keep, and the module signing key DKMS makes for itself
# on its first build (dkms's, for every DKMS module).
upper_snapshot() {
	(cd "$1" && find . -path ./tmp -prune -o -path ./run -prune -o -print | sort)
}
leftovers() {
	local upper=$1 lower=$2 f p
	comm -13 "$3" "$4" | while read -r f; do
		p=${f#.}
		if [ -d "$upper$p" ] && [ ! -L "$upper$p" ] && [ -d "$lower$p" ]; then continue; fi
		if [ -f "$upper$p" ] && [ -f "$lower$p" ] && cmp -s "$upper$p" "$lower$p"; then continue; fi
		echo "$p"
	done | grep -vE '^/var/lib/dkms/mok\.(key|pub)$|^/etc/(group|gshadow|passwd|shadow|subuid|subgid)-?$|^/etc/\.pwd\.lock$|^/etc/ld\.so\.cache$|^/var/(log|cache)/|^/var/lib/(dpkg|apt)/|^/var/lib/systemd/deb-systemd-(helper-enabled|user-helper-enabled)(/|$)'
}
