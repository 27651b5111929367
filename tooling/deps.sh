#!/usr/bin/env bash
# Install what building and testing the patched Open vSwitch needs, from
# Debian 12's apt repositories, and check the base tarball.  Idempotent: when
# everything is in place it only checks, in about a second.
. "$(dirname "$0")/lib.sh"

# package[=version]; the list is in tooling/packages, one per line, and in
# the lists given as arguments (tooling/packages-deb for 'make deb').
lists=("$TOOLING/packages" "$@")
mapfile -t WANT < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${lists[@]}")

# Prints the installed version of package $1, nothing if it is not installed
# (dpkg-query fails for a package it has never seen).
installed_version() {
    { dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$1" 2>/dev/null ||
          true; } | awk '$1 == "ii" {print $2}'
}

missing=()
for spec in "${WANT[@]}"; do
    name=${spec%%=*}
    want=
    [ "$name" != "$spec" ] && want=${spec#*=}
    have=$(installed_version "$name")
    if [ -z "$have" ] || { [ -n "$want" ] && [ "$have" != "$want" ]; }; then
        missing+=("$spec")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || die "apt-get not found: this needs Debian 12"
    if [ "$(id -u)" = 0 ]; then
        SUDO=
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        SUDO=sudo
    else
        die "installing ${missing[*]} needs root: run 'make deps' as root or as a user with sudo"
    fi
    say "installing: ${missing[*]}"
    # Refresh the package lists when they are missing or cannot provide a
    # wanted package; a second try after the update settles it.
    need_update=no
    [ -n "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] || need_update=yes
    if [ $need_update = no ]; then
        for spec in "${missing[@]}"; do
            name=${spec%%=*}
            cand=$(apt-cache policy "$name" 2>/dev/null | awk '/Candidate:/ {print $2}')
            if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
                need_update=yes
                break
            fi
        done
    fi
    if [ $need_update = yes ]; then
        say "running apt-get update"
        $SUDO apt-get update -q >/dev/null || die "apt-get update failed"
    fi
    if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "${missing[@]}"; then
        have=$(installed_version "$BASE_PKG")
        avail=$(apt-cache madison "$BASE_PKG" 2>/dev/null | awk '{print $3}' | paste -sd' ')
        die "apt-get install failed.  The base must be $BASE_PKG $BASE_VERSION; installed: ${have:-none}; available: ${avail:-none}"
    fi
fi

have=$(installed_version "$BASE_PKG")
[ "$have" = "$BASE_VERSION" ] ||
    die "$BASE_PKG is $have, expected $BASE_VERSION"
[ -f "$BASE_TARBALL" ] || die "$BASE_TARBALL is missing (reinstall $BASE_PKG)"
sum=$(sha256sum "$BASE_TARBALL" | awk '{print $1}')
[ "$sum" = "$BASE_SHA256" ] ||
    die "$BASE_TARBALL has sha256 $sum, expected $BASE_SHA256 ($BASE_PKG $BASE_VERSION)"

dpdk=$(installed_version libdpdk-dev)
case $dpdk in
    22.11.*) ;;
    *) die "libdpdk-dev is $dpdk, expected DPDK 22.11 (Debian 12)";;
esac

say "ok: $BASE_PKG $have (sha256 verified), DPDK $dpdk, ${#WANT[@]} packages"
