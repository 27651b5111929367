#!/usr/bin/env bash
# Build Debian packages of the patched switch from Debian's own packaging.
#
#   deb.sh [--force]
#
# The source is the openvswitch-source tarball, which carries Debian's
# debian/ folder next to the sources, with Debian's patches already applied
# (the tarball is 'make dist' of the patched tree; its debian/patches/series
# names them, but only ovs-ctl-ipsec.patch is shipped).  On top of it:
#  - debian/patches/dpif-offload/: our series, after Debian's entries in
#    debian/patches/series; dpkg-source applies it as quilt patches when the
#    build starts (.pc/applied-patches records Debian's as applied, which
#    they are);
#  - debian/changelog: an entry for version $DEB_VERSION, which sorts after
#    Debian's own and says what it is;
#  - the build dependencies: Debian's control file lists them; 'make deps'
#    installs tooling/packages-deb, and dpkg-checkbuilddeps proves that it
#    covers them.
# dpkg-buildpackage -b builds every binary package (both the plain and the
# DPDK flavour of ovs-vswitchd) with DEB_BUILD_OPTIONS=nocheck: 'make check'
# runs the suites.  The packages, .buildinfo, .changes and SHA256SUMS go to
# build/deb/.  A build whose inputs (series, packaging tooling, base
# tarball) are unchanged is kept; --force rebuilds.
. "$(dirname "$0")/lib.sh"

DEB_DIR=$BUILD/deb
force=no
while [ $# -gt 0 ]; do
    case $1 in
        --force) force=yes;;
        *) die "unknown option $1 (usage: deb.sh [--force])";;
    esac
    shift
done

# What the packages are built from.
inputs_stamp() {
    {
        printf 'version %s\n' "$DEB_VERSION"
        sha256sum "$BASE_TARBALL" "$0" "$TOOLING/packages-deb" \
                  "$TOOLING"/debian/* | awk '{print $1}'
        # The build dependencies as installed (a new DPDK, compiler, ...).
        sed -e 's/#.*//' -e 's/=.*//' -e '/^[[:space:]]*$/d' \
            "$TOOLING/packages-deb" | xargs dpkg-query -W 2>/dev/null || true
        series_files | xargs sha256sum | awk '{print $1}'
    } | sha256sum | awk '{print $1}'
}

stamp=$(inputs_stamp)
if [ $force = no ] && [ -f "$DEB_DIR/SHA256SUMS" ] &&
   [ "$(cat "$DEB_DIR/stamp" 2>/dev/null)" = "$stamp" ] &&
   (cd "$DEB_DIR" && sha256sum --quiet -c SHA256SUMS); then
    say "packages of $DEB_VERSION are up to date in ${DEB_DIR#$TOP/} (--force rebuilds)"
    exit 0
fi

[ -n "$(series_files)" ] || die "patches/series is empty"
rm -rf "$DEB_DIR"
mkdir -p "$DEB_DIR/src"
src=$DEB_DIR/src/openvswitch-$UPSTREAM_VERSION
mkdir -p "$src"
say "extracting $BASE_TARBALL into ${src#$TOP/}"
tar xzf "$BASE_TARBALL" --no-same-owner --strip-components=1 -C "$src"
[ -f "$src/debian/rules" ] || die "$BASE_TARBALL has no debian/ folder"

# Debian's patches are in the tarball's sources already: record them as
# applied, in the state quilt and dpkg-source keep.
debian_series=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$src/debian/patches/series")
mkdir -p "$src/.pc"
echo 2 > "$src/.pc/.version"
echo debian/patches > "$src/.pc/.quilt_patches"
echo series > "$src/.pc/.quilt_series"
printf '%s\n' "$debian_series" > "$src/.pc/applied-patches"
# Check it for the one that is shipped (the others are Debian's CVE fixes,
# listed but not shipped; tooling/known-failures and the bug notes say
# which are in the base).
for p in $debian_series; do
    [ -f "$src/debian/patches/$p" ] || continue
    patch -d "$src" -p1 -R --dry-run -s -f < "$src/debian/patches/$p" \
        >/dev/null ||
        die "Debian's patch $p is not applied in $BASE_TARBALL"
done

# The files of Debian's packaging that the tarball lacks (tooling/debian/README).
for f in "$TOOLING"/debian/*; do
    name=${f##*/}
    [ "$name" != README ] || continue
    [ ! -e "$src/debian/$name" ] ||
        die "the tarball has debian/$name now: drop tooling/debian/$name"
    install -m "$(stat -c %a "$f")" "$f" "$src/debian/$name"
done

# Our series, after Debian's.
mkdir -p "$src/debian/patches/dpif-offload"
{
    printf '\n# ovs-dpif-offload: the dpif-offload provider framework.\n'
    for p in $(series_files); do
        cp "$p" "$src/debian/patches/dpif-offload/"
        printf 'dpif-offload/%s\n' "${p##*/}"
    done
} >> "$src/debian/patches/series"
n_patches=$(series_files | wc -l)

# The changelog entry: our version, by the series' author, dated by the
# newest patch, so that the same series gives the same packages' metadata.
last=$(series_files | tail -1)
author=$(sed -n 's/^From: //p' "$last" | head -1)
date=$(date -R -d "$(sed -n 's/^Date: //p' "$last" | head -1)")
{
    printf 'openvswitch (%s) bookworm; urgency=medium\n\n' "$DEB_VERSION"
    printf '  * Add the dpif-offload provider framework (ovs-dpif-offload):\n'
    printf '    %s patches in debian/patches/dpif-offload/, after Debian'"'"'s.\n' \
           "$n_patches"
    printf '    Hardware offload goes through per-datapath providers (tc, dpdk,\n'
    printf '    dummy) chosen by other_config:hw-offload-priority; see NEWS and\n'
    printf '    "ovs-appctl dpif/offload/show".\n'
    printf '\n -- %s  %s\n\n' "$author" "$date"
    cat "$src/debian/changelog"
} > "$src/debian/changelog.new"
mv "$src/debian/changelog.new" "$src/debian/changelog"
[ "$(cd "$src" && dpkg-parsechangelog -S Version)" = "$DEB_VERSION" ] ||
    die "debian/changelog does not parse to $DEB_VERSION"
dpkg --compare-versions "$DEB_VERSION" gt "$BASE_VERSION" ||
    die "$DEB_VERSION does not sort after Debian's $BASE_VERSION"

# The programs report the package's version: configure's
# --with-version-suffix (patch "configure: Add --with-version-suffix.")
# with Debian's revision and ours, e.g. "3.1.0-2+deb12u1+dpifoffload1".
grep -q '^export DEB_CFLAGS_MAINT_APPEND' "$src/debian/rules" ||
    die "debian/rules has changed: no DEB_CFLAGS_MAINT_APPEND line to add the version suffix after"
sed -i '/^export DEB_CFLAGS_MAINT_APPEND/a\
\
# ovs-dpif-offload: programs report the package'"'"'s version.\
include /usr/share/dpkg/pkg-info.mk\
EXTRA_CONFIGURE_OPTS += --with-version-suffix=$(patsubst $(DEB_VERSION_UPSTREAM)%,%,$(DEB_VERSION_UPSTREAM_REVISION))' \
    "$src/debian/rules"

(cd "$src" && dpkg-checkbuilddeps) ||
    die "build dependencies missing: add them to tooling/packages-deb ('make deps' installs it)"

say "building $DEB_VERSION ($n_patches patches; log in ${DEB_DIR#$TOP/}/build.log)"
start=$(date +%s)
# dpkg-source applies the series.  The patches stay applied after the
# build: without the marker it would also unapply Debian's, which the
# tarball lists but does not ship.
(cd "$src" && dpkg-source --before-build .) > "$DEB_DIR/build.log" 2>&1 || {
    tail -20 "$DEB_DIR/build.log" >&2
    die "dpkg-source could not apply the series as quilt patches"
}
rm -f "$src/.pc/.dpkg-source-unapply"
grep -q "applying dpif-offload/$(basename "$(series_files | tail -1)")" \
    "$DEB_DIR/build.log" ||
    die "dpkg-source did not apply the series"

# In a clean environment, as a build daemon would: Debian's python3 (with
# its setuptools' --install-layout=deb), not one earlier in $PATH.
if ! (cd "$src" &&
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME" LANG=C.UTF-8 \
          DEB_BUILD_OPTIONS="nocheck parallel=$NPROC" \
          dpkg-buildpackage -b -uc -us) >> "$DEB_DIR/build.log" 2>&1; then
    tail -40 "$DEB_DIR/build.log" >&2
    die "dpkg-buildpackage failed (${DEB_DIR#$TOP/}/build.log)"
fi
# The packaged configuration (Debian's configure flags, the version
# suffix) through the tests that compare the programs' versions.
say "the unixctl tests in the packaged build (_debian)"
if ! env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME" LANG=C.UTF-8 \
        make -C "$src/_debian" -j"$NPROC" check \
        TESTSUITEFLAGS="-j$NPROC -k unixctl" >> "$DEB_DIR/build.log" 2>&1; then
    tail -30 "$DEB_DIR/build.log" >&2
    die "the unixctl tests failed in the packaged build (${DEB_DIR#$TOP/}/build.log)"
fi

dpkg-deb -c "$DEB_DIR"/src/openvswitch-switch-dpdk_*.deb |
    grep ' \./usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk$' >/dev/null ||
    die "openvswitch-switch-dpdk has no ovs-vswitchd-dpdk"

mv "$DEB_DIR"/src/*.deb "$DEB_DIR"/src/*.buildinfo "$DEB_DIR"/src/*.changes \
   "$DEB_DIR/"
(cd "$DEB_DIR" && sha256sum -- *.deb *.buildinfo *.changes > SHA256SUMS)
printf '%s\n' "$stamp" > "$DEB_DIR/stamp"
rm -rf "$DEB_DIR/src"
say "built $(ls "$DEB_DIR"/*.deb | wc -l) packages in $(( $(date +%s) - start )) s:"
(cd "$DEB_DIR" && ls -1 -- *.deb | sed 's/^/    /')
