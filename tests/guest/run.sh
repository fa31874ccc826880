#!/bin/bash
# Runs a command inside a QEMU guest booting Debian's linux-image-amd64 with
# BPF LSM enabled (TN_GUEST_LSM below changes that) and a swtpm as its TPM,
# and fails unless the guest reports
# the command's exit status 0 without an oops, a panic or a hang.
#
#   tests/guest/run.sh BUILD 'command line' ['command after a reboot' ...]
#                                                (run from the repository top)
#
# The guest sees the host's root file system read-only (virtio-9p) under a
# tmpfs overlay, so the command runs this checkout's binaries. It also has a
# disk of its own (ext4 on virtio-blk, mounted at /tndisk, TN_GUEST_DISK),
# which, like the TPM's state, outlives a reboot: each further command is run
# by booting the guest again with the same disk and TPM, and a fresh overlay,
# cgroups, bpffs and memory, as after a power cycle. A boot that crashes or
# hangs ends the run. The consoles are printed as they come, and kept in
# BUILD/guest/console.log (TN_GUEST_OUT names another directory than guest).
# TN_GUEST_INIT=systemd boots systemd as PID 1 instead of running the
# command from the initramfs' init (see init.sh; one boot per command too).
# TN_GUEST_APPEND adds to the guest kernel's command line (loglevel=7 to
# see every stack). TN_GUEST_LOCK=FILE waits for a lock on FILE first: two
# emulated guests on one machine's cores slow each other past their
# timeouts, so checkouts sharing a machine take turns.
set -u
BUILD=$1
shift
[ $# -ge 1 ] || { echo "usage: tests/guest/run.sh BUILD 'command' ['command after a reboot' ...]" >&2; exit 2; }
TIMEOUT=${TN_GUEST_TIMEOUT:-2400}
here=$(cd "$(dirname "$0")" && pwd)
kver=${TN_GUEST_KERNEL:-$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -1)}
[ -n "$kver" ] || { echo "guest: no /boot/vmlinuz-*-amd64: install linux-image-amd64" >&2; exit 1; }
moddir=/lib/modules/$kver
out=$BUILD/${TN_GUEST_OUT:-guest}
mkdir -p "$out"
work=$(mktemp -d /tmp/tnguest.XXXXXX)
swtpm_pid=
cleanup() {
	[ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
if [ -n "${TN_GUEST_LOCK:-}" ]; then
	exec 9>>"$TN_GUEST_LOCK" || exit 1
	echo "guest: waiting for $TN_GUEST_LOCK" >&2
	flock 9
fi

# The initramfs: busybox, init.sh, and the modules that mount the 9p root.
stage=$work/initramfs
mkdir -p "$stage/bin" "$stage/modules" "$stage/proc" "$stage/sys" "$stage/dev"
cp /bin/busybox "$stage/bin/busybox"
for a in sh mount insmod mkdir chroot sed cat echo sleep grep switch_root; do ln -s busybox "$stage/bin/$a"; done
cp "$here/init.sh" "$stage/init" && chmod +x "$stage/init"
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay"
for m in $mods; do
	f=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
	[ -n "$f" ] || { echo "guest: module $m not found in $moddir" >&2; exit 1; }
	case $f in *.xz) xz -dc "$f" > "$stage/modules/$m.ko" ;; *) cp "$f" "$stage/modules/" ;; esac
done
echo "$mods" > "$stage/modules/order"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.gz"

# A TPM for the guest: /dev/tpm0 and /dev/tpmrm0, manufactured like a real
# one, with an EK certificate from swtpm's local CA.
mkdir -p "$work/tpm"
swtpm_setup --tpm2 --tpmstate "$work/tpm" --create-ek-cert --create-platform-cert \
	--lock-nvram > "$work/swtpm_setup.log" 2>&1 ||
	{ echo "guest: swtpm_setup failed (see $work/swtpm_setup.log)" >&2; exit 1; }
# The guest's disk: what a node keeps across reboots (/var/lib, /etc, /srv).
truncate -s 64M "$work/disk.img" && mkfs.ext4 -q -F "$work/disk.img" ||
	{ echo "guest: cannot make the guest's disk" >&2; exit 1; }

# TN_GUEST_LSM: the lsm= list; "bpf" in it gives lsm mode, a list without it
# fentry mode, "default" none at all (Debian's CONFIG_LSM ends in bpf: this
# kernel as shipped has BPF LSM active, checked).
lsm=${TN_GUEST_LSM:-lockdown,capability,landlock,yama,apparmor,bpf}
# TN_GUEST_ICOUNT=N: QEMU's instruction-count clock, 2^N ns of guest time per
# instruction, so that guest timings count instructions, not host load
# (tests/bench/guest-bench.sh).
# One CPU then: a two-CPU guest under it did not reach userspace in 25
# minutes.
icount=${TN_GUEST_ICOUNT:+-icount shift=$TN_GUEST_ICOUNT,align=off,sleep=off}
smp=${TN_GUEST_ICOUNT:+1}
# TN_GUEST_TCG_THREAD: how QEMU runs the guest's two CPUs. "single" (the
# default): one host thread takes turns between them. With "multi", one
# thread each, a CPU can run code that another is patching (a BPF
# trampoline attached or detached) from a translation QEMU has not yet
# dropped: the CI runs that hung in a soft lockup at bpf_lsm_file_open+0
# (README, "Where a guest run's time goes").
tcg_thread=${TN_GUEST_TCG_THREAD:-single}
case $tcg_thread in single|multi) ;; *) echo "guest: TN_GUEST_TCG_THREAD is single or multi" >&2; exit 2 ;; esac
[ -n "$icount" ] && tcg_thread=single	# -icount needs it
# TN_GUEST_9P_CACHE: loose (the default) or none; init.sh says what it is.
cache=${TN_GUEST_9P_CACHE:-loose}
case $cache in loose|none) ;; *) echo "guest: TN_GUEST_9P_CACHE is loose or none" >&2; exit 2 ;; esac
# TN_GUEST_INIT=systemd: systemd is PID 1 (init.sh switches root to the
# overlay), and the command runs as a service once basic.target is up
# (stage2-systemd.sh); the guest's disk is not mounted then.
init=${TN_GUEST_INIT:-busybox}
case $init in busybox|systemd) ;; *) echo "guest: TN_GUEST_INIT is busybox or systemd" >&2; exit 2 ;; esac

# A TPM is reset by a reboot, its NV state kept: a new swtpm per boot.
swtpm_start() {
	swtpm socket --tpm2 --tpmstate dir="$work/tpm" --ctrl type=unixio,path="$work/swtpm.sock" \
		--flags startup-clear --pid file="$work/swtpm.pid" --daemon || return 1
	swtpm_pid=$(cat "$work/swtpm.pid")
}
swtpm_stop() {
	[ -n "$swtpm_pid" ] || return 0
	kill "$swtpm_pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$swtpm_pid" 2>/dev/null || break; sleep 0.1; done
	swtpm_pid=
	rm -f "$work/swtpm.sock"
}

# Boots once running $1; prints the console, sets boot_rc (the command's
# status) and returns 1 if the guest crashed, hung or reported nothing.
boot() {
	local append qrc log=$work/console
	# A kernel stuck in a loop (soft lockup) panics with its stack, and
	# ends the boot at once, instead of at the timeout with no trace.
	append="console=ttyS0 panic=-1 oops=panic softlockup_panic=1 quiet loglevel=4 rdinit=/init"
	[ "$lsm" = default ] || append+=" lsm=$lsm"
	append+=" audit=1 audit_backlog_limit=8192"
	append+=" tn.stage2=$here/stage2.sh tn.disk=1 tn.9pcache=$cache"
	[ "$init" = systemd ] && append+=" tn.init=systemd"
	# TN_GUEST_APPEND: more of the guest kernel's command line (debugging).
	append+=" ${TN_GUEST_APPEND:-}"
	append+=" tn.cmd=$(printf '%s' "cd $PWD && $1" | base64 -w0)"
	boot_rc=
	swtpm_start || { echo "# guest: swtpm failed"; return 1; }
	# shellcheck disable=SC2086 # $icount is empty or several words
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -machine q35 -m 2048 -smp "${smp:-2}" -accel tcg,thread="$tcg_thread" -nographic -no-reboot $icount \
		-kernel "/boot/vmlinuz-$kver" -initrd "$out/initramfs.gz" -append "$append" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-drive file="$work/disk.img",format=raw,if=virtio \
		-chardev socket,id=chrtpm,path="$work/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
		-device tpm-tis,tpmdev=tpm0 -nic none </dev/null 2>&1 |
		tr -d '\r' | tee "$log"
	qrc=${PIPESTATUS[0]}
	cat "$log" >> "$out/console.log"
	swtpm_stop
	if grep -qE 'Kernel panic|Oops|BUG:|general protection fault|Call Trace:' "$log"; then
		echo "# guest: the kernel oopsed or panicked (see $out/console.log)"
		return 1
	fi
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		echo "# guest: timed out after ${TIMEOUT}s"
		return 1
	fi
	boot_rc=$(sed -n 's/^TN-GUEST-EXIT: \([0-9]*\)$/\1/p' "$log" | tail -1)
	if [ -z "$boot_rc" ]; then
		echo "# guest: no exit status reported (crashed or hung; see $out/console.log)"
		return 1
	fi
}

: > "$out/console.log"
rc=0 n=0
for cmd in "$@"; do
	n=$((n + 1))
	echo "# guest: boot $n of $#: $kver (timeout ${TIMEOUT}s)"
	t0=$(date +%s)
	boot "$cmd" || exit 1
	echo "# guest: boot $n took $(($(date +%s) - t0)) s"
	[ "$boot_rc" = 0 ] || rc=$boot_rc
done
exit "$rc"
