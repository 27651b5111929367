#!/usr/bin/env bash
# Prepare what tooling/vm/run.sh boots: Debian's own kernel (package
# linux-image-amd64) as an uncompressed ELF vmlinux, and a small initramfs
# (static busybox, tooling/vm/init, the modules that reach the host's files
# over 9p).  Both are cached in build/vm/ and rebuilt only when the kernel
# (or the init script) changes.  Prints nothing when the cache is current.
#
# The kernel is the newest /boot/vmlinuz-*-amd64 that has its modules in
# /lib/modules (the guest loads openvswitch, cls_flower, ... from there,
# through the host's root file system); VM_KERNEL=VERSION picks another.
. "$(dirname "$0")/../lib.sh"

VM_DIR=$BUILD/vm

pick_kernel() {
    local v best=
    for v in /boot/vmlinuz-*-amd64; do
        [ -e "$v" ] || continue
        v=${v#/boot/vmlinuz-}
        [ -d "/lib/modules/$v/kernel" ] || continue
        best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -1)
    done
    printf '%s\n' "$best"
}

kver=${VM_KERNEL:-$(pick_kernel)}
[ -n "$kver" ] ||
    die "no Debian kernel: /boot/vmlinuz-*-amd64 with /lib/modules (install linux-image-amd64: make deps)"
vmlinuz=/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "$vmlinuz does not exist"
[ -d "/lib/modules/$kver" ] || die "/lib/modules/$kver does not exist"
for t in modprobe cpio xz; do
    [ -n "$(type -P "$t")" ] || die "$t not found (make deps)"
done
# The initramfs has no libraries: busybox must be the static one.
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
    die "/bin/busybox is missing or not static (busybox-static: make deps)"

# What the cache was built from: the kernel image itself, its module
# index, and the init script.
stamp=$(printf '%s\n' "$kver" &&
        stat -c '%s %Y' "$vmlinuz" "/lib/modules/$kver/modules.dep" &&
        sha256sum "$TOOLING/vm/init" "$0" /bin/busybox | awk '{print $1}')
if [ -f "$VM_DIR/vmlinux" ] && [ -f "$VM_DIR/initramfs.cpio" ] &&
   [ "$(cat "$VM_DIR/stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi

say "preparing the test VM's kernel ($kver) and initramfs in ${VM_DIR#$TOP/}"
mkdir -p "$VM_DIR"
rm -f "$VM_DIR/stamp"
tmp=$(mktemp -d "$VM_DIR/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The uncompressed kernel.  Under emulation the bzImage's own decompressor
# takes most of a minute; qemu boots an ELF vmlinux directly through its PVH
# entry point (CONFIG_PVH) and skips it.  The payload follows the setup
# code: find the first compressed stream that decompresses to an ELF file,
# as the kernel's scripts/extract-vmlinux does.
extract() {     # $1: magic bytes as grep -P escapes, $2...: decompressor
    local magic=$1 off
    shift
    for off in $(LC_ALL=C grep -aobUP "$magic" "$vmlinuz" | cut -d: -f1 | head -5); do
        tail -c +$((off + 1)) "$vmlinuz" | "$@" > "$tmp/vmlinux" 2>/dev/null
        if [ "$(head -c 4 "$tmp/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            return 0
        fi
    done
    return 1
}
extract '\xfd7zXZ\x00' xz -dc ||
    extract '\x28\xb5\x2f\xfd' zstd -dc ||
    extract '\x1f\x8b\x08' gzip -dc ||
    die "could not extract an ELF vmlinux from $vmlinuz"

# The initramfs: busybox, /init, and the modules for virtio-pci, 9p and
# overlayfs with their dependencies, in load order and uncompressed (busybox
# insmod does not decompress).
root=$tmp/root
mkdir -p "$root"/{bin,proc,sys,dev,lib/modules}
cp /bin/busybox "$root/bin/busybox"
install -m 755 "$TOOLING/vm/init" "$root/init"
: > "$root/lib/modules/load-order"
for m in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -S "$kver" --show-depends "$m" ||
        die "module $m not found for $kver"
done | awk '$1 == "insmod" {print $2}' | while read -r ko; do
    name=$(basename "$ko")
    name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
    grep -qxF "$name" "$root/lib/modules/load-order" && continue
    case $ko in
        *.xz) xz -dc "$ko";;
        *.zst) zstd -dc "$ko";;
        *.gz) gzip -dc "$ko";;
        *) cat "$ko";;
    esac > "$root/lib/modules/$name"
    echo "$name" >> "$root/lib/modules/load-order"
done
# Uncompressed: unpacking a compressed initramfs is slow under emulation too.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$tmp/initramfs.cpio"

mv "$tmp/vmlinux" "$VM_DIR/vmlinux"
mv "$tmp/initramfs.cpio" "$VM_DIR/initramfs.cpio"
printf '%s\n' "$stamp" > "$VM_DIR/stamp"
say "kernel $kver: $(du -h "$VM_DIR/vmlinux" | cut -f1) vmlinux, $(du -h "$VM_DIR/initramfs.cpio" | cut -f1) initramfs"
