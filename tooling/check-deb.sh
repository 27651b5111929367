#!/usr/bin/env bash
# Check the Debian packages that 'make deb' built (build/deb), as installed.
#
#  1. lintian on every package, next to lintian on Debian's own packages of
#     the base ($BASE_VERSION, downloaded with apt-get into
#     build/deb-debian): an error that Debian's package of the same name
#     does not have is ours, and fails the check.
#  2. In the test VM (tooling/vm: Debian's kernel, the host's root read-only
#     under a tmpfs overlay, so no install touches the host's /usr):
#     tooling/check-deb-vm.sh installs Debian's packages, configures them,
#     upgrades to ours and checks the switch started by the packaging's init
#     script: kernel datapath with tc offload, then the DPDK flavour.
#
# The packages' run-time dependencies must be on the host, whose root the VM
# shares: they are read from the packages (Depends, Pre-Depends, minus the
# packages of this source) and installed with 'apt-get satisfy'.
#
#   check-deb.sh [--lintian-only]
#
# --lintian-only stops after step 1 (check-prebuild.sh runs it next to the
# unit suite).  Step 1 is skipped when it passed already for the same
# packages and the same version of this script.
#
# Environment: VM_ACCEL as in tooling/vm/run.sh; CHECK_DEB_TIMEOUT (1800 s).
. "$(dirname "$0")/lib.sh"

DEB_DIR=$BUILD/deb
DEBIAN_DIR=$BUILD/deb-debian
OUT=$BUILD/check-deb
LINTIAN_OK=$BUILD/check-deb-lintian.ok

lintian_only=no
case ${1:-} in
    '') ;;
    --lintian-only) lintian_only=yes;;
    *) die "unknown option $1 (usage: check-deb.sh [--lintian-only])";;
esac

[ "$(id -u)" = 0 ] || die "'make check-deb' needs root (apt-get, the VM's namespaces)"
[ -f "$DEB_DIR/SHA256SUMS" ] || die "no packages in ${DEB_DIR#$TOP/}: run 'make deb'"
(cd "$DEB_DIR" && sha256sum --quiet -c SHA256SUMS) ||
    die "${DEB_DIR#$TOP/} does not match its SHA256SUMS: run 'make deb FORCE=1'"
start=$(date +%s)

# The binary packages built, without the debug symbols.
mapfile -t names < <(cd "$DEB_DIR" && ls -1 -- *.deb | grep -v -- '-dbgsym_' |
                         sed 's/_.*//' | sort -u)
[ ${#names[@]} -gt 0 ] || die "no packages in ${DEB_DIR#$TOP/}"

# Debian's own packages of the base.
mkdir -p "$DEBIAN_DIR"
missing=()
for p in "${names[@]}"; do
    ls "$DEBIAN_DIR/${p}_${BASE_VERSION}_"*.deb >/dev/null 2>&1 ||
        missing+=("$p=$BASE_VERSION")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "downloading Debian's ${#missing[@]} packages of $BASE_VERSION"
    (cd "$DEBIAN_DIR" && apt-get download -q "${missing[@]}" >/dev/null) || {
        apt-get update -q >/dev/null &&
            (cd "$DEBIAN_DIR" && apt-get download -q "${missing[@]}" >/dev/null)
    } || die "apt-get download ${missing[*]} failed"
fi

# lintian: ours next to Debian's.  New errors fail; new warnings are listed.
lint() {        # $1: a .deb; its errors and warnings, versions made neutral
    local out
    out=$(lintian --fail-on none --tag-display-limit 0 "$1" 2>&1) ||
        die "lintian failed on ${1##*/}: $out"
    out=${out//"$DEB_VERSION"/VERSION}
    out=${out//"$BASE_VERSION"/VERSION}
    printf '%s\n' "$out" | grep -E '^(E|W): ' | sort -u || true
}
run_lintian() {
    local p ours_deb theirs_deb added new_errors=0
    say "lintian on ${#names[@]} packages, ours and Debian's"
    : > "$report"
    for p in "${names[@]}"; do
        ours_deb=$(ls "$DEB_DIR/${p}_${DEB_VERSION}_"*.deb | head -1)
        theirs_deb=$(ls "$DEBIAN_DIR/${p}_${BASE_VERSION}_"*.deb 2>/dev/null |
                         head -1 || true)
        lint "$ours_deb" > "$OUT.ours"
        if [ -n "$theirs_deb" ]; then
            lint "$theirs_deb" > "$OUT.theirs"
        else
            : > "$OUT.theirs"
        fi
        added=$(comm -23 "$OUT.ours" "$OUT.theirs")
        printf '%s: %d errors, %d warnings (Debian'"'"'s: %d, %d)\n' "$p" \
            "$(grep -c '^E' "$OUT.ours")" "$(grep -c '^W' "$OUT.ours")" \
            "$(grep -c '^E' "$OUT.theirs")" "$(grep -c '^W' "$OUT.theirs")" \
            >> "$report"
        if [ -n "$added" ]; then
            printf '%s\n' "$added" | sed 's/^/    new: /' >> "$report"
            new_errors=$((new_errors + $(printf '%s\n' "$added" | grep -c '^E' || true)))
        fi
    done
    rm -f "$OUT.ours" "$OUT.theirs"
    sed 's/^/    /' "$report"
    [ $new_errors = 0 ] ||
        die "lintian: $new_errors errors that Debian's own packages do not have"
}
# The packages (ours and Debian's), lintian and this script decide the
# outcome: a pass is kept for them.
lintian_stamp=$({ cat "$DEB_DIR/SHA256SUMS" "$0"; dpkg-query -W lintian
                  (cd "$DEBIAN_DIR" && sha256sum -- *.deb) || true; } |
                sha256sum | awk '{print $1}')
report=$BUILD/check-deb-lintian.txt
if [ "$(cat "$LINTIAN_OK" 2>/dev/null)" = "$lintian_stamp" ] && [ -f "$report" ]; then
    say "lintian passed already on these ${#names[@]} packages:"
    sed 's/^/    /' "$report"
else
    rm -f "$LINTIAN_OK"
    run_lintian
    printf '%s\n' "$lintian_stamp" > "$LINTIAN_OK"
fi
[ $lintian_only = no ] || exit 0

# Run-time dependencies of what the VM installs.
vm_pkgs=(openvswitch-common openvswitch-switch openvswitch-switch-dpdk
         python3-openvswitch)
deps=$(for p in "${vm_pkgs[@]}"; do
           for d in "$DEB_DIR" "$DEBIAN_DIR"; do
               f=$(ls "$d/${p}_"*.deb 2>/dev/null | head -1 || true)
               [ -n "$f" ] || continue
               dpkg-deb -f "$f" Pre-Depends Depends
           done
       done | sed -e 's/^[A-Za-z-]*: //' | tr ',' '\n' |
       sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' |
       grep -v -E "^($(IFS='|'; echo "${names[*]}"))( |\$)" | sort -u |
       paste -sd, | sed 's/,/, /g')
say "installing the packages' run-time dependencies on the host"
DEBIAN_FRONTEND=noninteractive apt-get satisfy -y -q --no-install-recommends --no-remove \
    "$deps" > "$BUILD/check-deb-apt.log" 2>&1 || {
    tail -20 "$BUILD/check-deb-apt.log" >&2
    die "apt-get satisfy failed"
}

# The VM.
"$TOOLING/vm/build.sh"
rm -rf "$OUT"
mkdir -p "$OUT"
say "installing and checking the packages in the test VM (log: ${OUT#$TOP/}/output.log)"
rc=0
"$TOOLING/vm/run.sh" --dir "$OUT" --cpus 2 --mem 3072 \
    --timeout "${CHECK_DEB_TIMEOUT:-1800}" -- \
    bash "$TOOLING/check-deb-vm.sh" "$DEB_DIR" "$DEBIAN_DIR" \
    "$DEB_VERSION" "$BASE_VERSION" || rc=$?
[ $rc = 0 ] || die "the checks in the VM failed (exit $rc; logs in ${OUT#$TOP/})"
say "passed in $(( $(date +%s) - start )) s"
