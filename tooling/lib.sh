# Shared settings and helpers for the ovs-dpif-offload tooling.
# Sourced by the scripts in this folder; not meant to be run.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLING=$TOP/tooling
PATCHES=$TOP/patches
SERIES=$PATCHES/series
BUILD=$TOP/build
TREE=${TREE:-$BUILD/ovs}         # the patched tree: base + the series
BASE_TREE=$BUILD/base            # the unpatched base, for check-base/bench
ASAN_TREE=$BUILD/asan            # the series built with ASan and UBSan

# The base: Open vSwitch 3.1.0 as Debian 12 ships it.
BASE_PKG=openvswitch-source
BASE_VERSION=3.1.0-2+deb12u1
UPSTREAM_VERSION=${BASE_VERSION%%-*}
# The Debian packages of the patched switch ('make deb'): Debian's version
# plus ours, so that it sorts after Debian's own packages of the base.
# Bump the number for each set of packages handed to users.
DEB_VERSION=$BASE_VERSION+dpifoffload1
BASE_TARBALL=/usr/src/openvswitch/openvswitch.tar.gz
BASE_SHA256=82dde6737921b63b284ad8399f95c7f1de94e1b96b2036dcf4a78c9f969ab03f
BASE_TAG=base
# A fixed identity and date for the base commit, so that its hash is the
# same on every machine.
BASE_DATE="2023-02-17T00:00:00Z"

# TREE_CONFIGURE_FLAGS replaces them for one build (check-asan.sh).
CONFIGURE_FLAGS=${TREE_CONFIGURE_FLAGS:-"--with-dpdk=shared --enable-Werror PYTHON3=/usr/bin/python3"}

NPROC=$(nproc 2>/dev/null || echo 2)

say() { printf '%s: %s\n' "${0##*/}" "$*"; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# git with settings that make format-patch/am output independent of the
# user's configuration.
tgit() {
    git -C "$TREE" -c core.abbrev=12 -c diff.algorithm=myers \
        -c diff.renames=true -c diff.noprefix=false -c diff.mnemonicPrefix=false \
        -c format.signature= -c format.coverLetter=false \
        -c format.numbered=auto -c core.quotePath=true "$@"
}

# Patch files of the series, in order (comments and blank lines skipped).
series_files() {
    [ -f "$SERIES" ] || return 0
    sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$SERIES" |
        while read -r p; do
            [ -f "$PATCHES/$p" ] || die "$SERIES names $p, which does not exist"
            printf '%s\n' "$PATCHES/$p"
        done
}

# Stable patch ids of the series files / of the tree's commits since base.
series_ids() {
    local f
    for f in $(series_files); do
        git patch-id --stable < "$f" | awk '{print $1}'
    done
}
tree_ids() {
    local c
    for c in $(tgit rev-list --reverse "$BASE_TAG..HEAD"); do
        tgit format-patch --stdout -1 "$c" | git patch-id --stable | awk '{print $1}'
    done
}

# Prints the numbers, in testsuite script $1, of the tests whose titles the
# known-failures file $2 lists ('title:' lines), for a run that proves they
# fail on the base.  Prints nothing, and says so on stderr, when $2 lists
# none; fails when a title names no test of $1.
known_failure_numbers() {
    local testsuite=$1 known=$2 numbers
    if [ -z "$(sed -n 's/^title://p' "$known")" ]; then
        say "no known baseline failures listed in ${known#$TOP/}" >&2
        return 0
    fi
    numbers=$(python3 "$TOOLING/testsummary.py" --numbers "$testsuite" \
                  "$known") ||
        die "not every title in ${known#$TOP/} names a test of the base: $numbers"
    printf '%s\n' "$numbers"
}

# Materializes and builds $ASAN_TREE: the series (as exported: nobody works
# in build/asan, so it follows patches/ even when build/ovs has commits that
# are not exported yet) with the configure flags of build/ovs, DPDK
# included, without --enable-Werror (sanitizer builds warn where GCC's
# analysis changes with the instrumentation), and with -msse4.2, so that
# the AVX512 DPIF and its tests (dpif_avx512 variants) are built and run
# where the CPU has AVX512.  The programs are linked as position-dependent
# executables (-no-pie): an instrumented ovs-appctl holds 500,000 relative
# relocations, whose processing made each start of it cost about 130 ms
# instead of 80, and the tests start the programs thousands of times.
# Arguments: make targets.
build_asan_tree() {
    "$TOOLING/tree.sh" --force "$ASAN_TREE"
    TREE_CONFIGURE_FLAGS="--with-dpdk=shared PYTHON3=/usr/bin/python3" \
    TREE_CFLAGS="-g -O1 -msse4.2 -fno-omit-frame-pointer -fsanitize=address,undefined" \
    TREE_LDFLAGS="-no-pie" \
        "$TOOLING/build.sh" "$ASAN_TREE" "$@"
}

# DPDK's memory (check-dpdk.sh, bench.sh), as root: hugepages_reserve N makes
# sure N 2 MB hugepages are free, reserving more if needed, and that
# hugetlbfs is mounted on /dev/hugepages; hugepages_restore (for an EXIT
# trap) puts back what it changed, and only that.
HUGEPAGES_NR_FILE=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HUGEPAGES_FREE_FILE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
hugepages_old_nr=
hugepages_mounted=
hugepages_reserve() {
    local want=$1 free old
    old=$(cat "$HUGEPAGES_NR_FILE")
    free=$(cat "$HUGEPAGES_FREE_FILE")
    if [ "$free" -lt "$want" ]; then
        hugepages_old_nr=$old
        echo $((old + want - free)) > "$HUGEPAGES_NR_FILE"
        free=$(cat "$HUGEPAGES_FREE_FILE")
        [ "$free" -ge "$want" ] ||
            die "could reserve only $free of $want 2 MB hugepages"
        say "reserved $want 2 MB hugepages"
    fi
    if ! grep -q ' hugetlbfs ' /proc/mounts; then
        mkdir -p /dev/hugepages
        mount -t hugetlbfs nodev /dev/hugepages
        hugepages_mounted=yes
        say "mounted hugetlbfs on /dev/hugepages"
    fi
}
hugepages_restore() {
    if [ -n "$hugepages_mounted" ]; then
        umount /dev/hugepages || true
    fi
    if [ -n "$hugepages_old_nr" ]; then
        echo "$hugepages_old_nr" > "$HUGEPAGES_NR_FILE" || true
    fi
}
