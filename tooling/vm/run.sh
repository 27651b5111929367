#!/usr/bin/env bash
# Boot Debian's kernel under qemu and run one command in it, as root, on a
# copy-on-write view of this host's root file system.
#
#   run.sh --dir DIR [--cpus N] [--mem MB] [--timeout SECS] [--quiet]
#          -- COMMAND [ARG...]
#
# The guest sees the host's / read-only over 9p with a tmpfs overlay on top
# (tooling/vm/init): the same paths, binaries and /lib/modules as here, but
# nothing it writes reaches the host, except in DIR, which is shared
# read-write and mounted at /vmshare in the guest ($VM_SHARE).  COMMAND runs
# in the current directory (its path in the guest).  Its output goes to
# DIR/output.log, also printed here unless --quiet; the guest kernel's
# console goes to DIR/console.log.  The exit status is COMMAND's, or 124
# when the VM ran past --timeout (qemu is then killed), or 125 when the VM
# stopped without reporting one (see console.log).
#
# Accelerator: VM_ACCEL=kvm or tcg forces one.  By default KVM is used when
# /dev/kvm is usable and backed by hardware virtualization (kvm_intel or
# kvm_amd loaded); otherwise qemu emulates the CPU (TCG), which works
# anywhere but slowly (a fork+exec takes ~0.1 s).  A paravirtual /dev/kvm
# such as kvm_pvm inside a cloud VM cannot boot a stock kernel (it hangs
# early), so it is not used unless forced.
. "$(dirname "$0")/../lib.sh"

dir= cpus=1 mem=2048 timeout=3600 quiet=no
while [ $# -gt 0 ]; do
    case $1 in
        --dir) dir=$2; shift;;
        --cpus) cpus=$2; shift;;
        --mem) mem=$2; shift;;
        --timeout) timeout=$2; shift;;
        --quiet) quiet=yes;;
        --) shift; break;;
        *) die "unknown option $1 (usage: run.sh --dir DIR [options] -- COMMAND...)";;
    esac
    shift
done
[ -n "$dir" ] && [ $# -gt 0 ] || die "usage: run.sh --dir DIR [options] -- COMMAND..."
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$dir$PWD" in
    *[[:space:],]*) die "paths with spaces or commas cannot be shared over 9p: $dir, $PWD";;
esac
[ -n "$(type -P qemu-system-x86_64)" ] || die "qemu-system-x86_64 not found (make deps)"

"$TOOLING/vm/build.sh"
VM_DIR=$BUILD/vm

accel=${VM_ACCEL:-}
if [ -z "$accel" ]; then
    accel=tcg
    if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
        accel=kvm
    fi
fi
case $accel in
    kvm) accel_args=(-accel kvm -cpu host);;
    # 'max' gives the guest every instruction TCG emulates (SSE4.2, AVX2),
    # which the host-built binaries and DPDK's libraries may use.
    tcg) accel_args=(-accel tcg -cpu max);;
    *) die "VM_ACCEL must be kvm or tcg, not '$accel'";;
esac

# The command script that the guest's init runs as PID 1 (bash, which also
# reaps the daemons the tests orphan).  Its output goes to the second serial
# port; the status file tells the host that the command ended.
rm -f "$dir/vm-status" "$dir/output.log" "$dir/console.log"
{
    echo '#!/bin/bash'
    # No '\r' before each '\n' in the log.
    echo 'stty -F /dev/ttyS1 -opost -echo'
    echo 'exec >/dev/ttyS1 2>&1 </dev/null'
    printf 'cd %q || exit 1\n' "$PWD"
    printf '%q ' "$@"
    echo
    echo 'echo $? > /vmshare/vm-status'
    echo 'sync'
    # Nothing more to say: the 9p root goes away under the last commands.
    echo 'exec >/dev/null 2>&1'
    echo 'echo o > /proc/sysrq-trigger'
    echo 'sleep 60'
} > "$dir/vm-cmd"

: > "$dir/output.log"
qemu-system-x86_64 \
    "${accel_args[@]}" -M pc -smp "$cpus" -m "$mem" \
    -nodefaults -no-user-config -display none -vga none -no-reboot \
    -kernel "$VM_DIR/vmlinux" -initrd "$VM_DIR/initramfs.cpio" \
    -append "console=ttyS0 quiet panic=-1 ovsvm.share=$dir" \
    -serial "file:$dir/console.log" -serial "file:$dir/output.log" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$dir,mount_tag=vmshare,security_model=none,multidevs=remap" \
    -nic none </dev/null >"$dir/qemu.log" 2>&1 &
qemu=$!
tailer=
if [ $quiet = no ]; then
    tail -n +1 -f --pid=$qemu "$dir/output.log" &
    tailer=$!
fi
# Stop the VM (only the qemu started here) if this script is interrupted.
trap 'kill $qemu 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

deadline=$(( $(date +%s) + timeout ))
while kill -0 $qemu 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        kill $qemu 2>/dev/null || true
        sleep 2
        kill -9 $qemu 2>/dev/null || true
        wait $qemu 2>/dev/null || true
        [ -z "$tailer" ] || wait $tailer 2>/dev/null || true
        say "the VM did not finish in ${timeout}s: killed (output in $dir)" >&2
        exit 124
    fi
    sleep 1
done
wait $qemu 2>/dev/null || true
[ -z "$tailer" ] || wait $tailer 2>/dev/null || true
trap - EXIT INT TERM
if [ ! -s "$dir/vm-status" ]; then
    say "the VM stopped without an exit status; its console:" >&2
    tail -n 20 "$dir/console.log" "$dir/qemu.log" >&2
    exit 125
fi
exit "$(cat "$dir/vm-status")"
