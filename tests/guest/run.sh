#!/bin/bash
# Runs a command inside a QEMU guest booting Debian's linux-image-amd64 with
# BPF LSM enabled (TN_GUEST_LSM below changes that) and a swtpm as its TPM,
# and fails unless the guest reports the command's exit status 0 without an
# oops, a panic or a hang.
#
#   tests/guest/run.sh BUILD 'command line'      (run from the repository top)
#
# The guest sees the host's root file system read-only (virtio-9p) under a
# tmpfs overlay, so the command runs this checkout's binaries. Its console is
# printed as it comes, and kept in BUILD/guest/console.log (TN_GUEST_OUT
# names another directory than guest).
set -u
BUILD=$1 CMD=$2
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

# The initramfs: busybox, init.sh, and the modules that mount the 9p root.
stage=$work/initramfs
mkdir -p "$stage/bin" "$stage/modules" "$stage/proc" "$stage/sys" "$stage/dev"
cp /bin/busybox "$stage/bin/busybox"
for a in sh mount insmod mkdir chroot sed cat echo sleep; do ln -s busybox "$stage/bin/$a"; done
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
swtpm socket --tpm2 --tpmstate dir="$work/tpm" --ctrl type=unixio,path="$work/swtpm.sock" \
	--flags startup-clear --pid file="$work/swtpm.pid" --daemon || { echo "guest: swtpm failed" >&2; exit 1; }
swtpm_pid=$(cat "$work/swtpm.pid")

append="console=ttyS0 panic=-1 oops=panic quiet loglevel=4 rdinit=/init"
# TN_GUEST_LSM: the lsm= list; "bpf" in it gives lsm mode, a list without it
# fentry mode, "default" none at all (Debian's CONFIG_LSM ends in bpf: this
# kernel as shipped has BPF LSM active, checked).
lsm=${TN_GUEST_LSM:-lockdown,capability,landlock,yama,apparmor,bpf}
[ "$lsm" = default ] || append+=" lsm=$lsm"
append+=" audit=1 audit_backlog_limit=8192"
append+=" tn.stage2=$here/stage2.sh tn.cmd=$(printf '%s' "cd $PWD && $CMD" | base64 -w0)"

echo "# guest: booting $kver (timeout ${TIMEOUT}s)"
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -machine q35 -m 2048 -smp 2 -nographic -no-reboot \
	-kernel "/boot/vmlinuz-$kver" -initrd "$out/initramfs.gz" -append "$append" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-chardev socket,id=chrtpm,path="$work/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-tis,tpmdev=tpm0 -nic none </dev/null 2>&1 |
	tr -d '\r' | tee "$out/console.log"
qrc=${PIPESTATUS[0]}

if grep -qE 'Kernel panic|Oops|BUG:|general protection fault|Call Trace:' "$out/console.log"; then
	echo "# guest: the kernel oopsed or panicked (see $out/console.log)"
	exit 1
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "# guest: timed out after ${TIMEOUT}s"
	exit 1
fi
rc=$(sed -n 's/^TN-GUEST-EXIT: \([0-9]*\)$/\1/p' "$out/console.log" | tail -1)
if [ -z "$rc" ]; then
	echo "# guest: no exit status reported (crashed or hung; see $out/console.log)"
	exit 1
fi
exit "$rc"
