#!/usr/bin/env bash
# Build a materialized tree (default build/ovs): ./boot.sh and ./configure
# the first time or when the configure flags change, then make.  Incremental.
#
#   build.sh [DIR] [MAKE-TARGET...]
#
# TREE_CFLAGS and TREE_LDFLAGS, if set, are passed to ./configure as CFLAGS
# and LDFLAGS (check-asan.sh).
. "$(dirname "$0")/lib.sh"

if [ $# -gt 0 ] && [ -d "$1" ]; then
    TREE=$(cd "$1" && pwd)
    shift
fi
[ -d "$TREE/.git" ] || die "no tree at $TREE"

cd "$TREE"
flags="$CONFIGURE_FLAGS ${EXTRA_CONFIGURE_FLAGS:-}"
cflags=${TREE_CFLAGS:-}
ldflags=${TREE_LDFLAGS:-}
all_flags="$flags${cflags:+ CFLAGS=$cflags}${ldflags:+ LDFLAGS=$ldflags}"
if [ ! -f config.status ] || [ ! -f Makefile ] ||
   [ "$(cat .configure-flags 2>/dev/null)" != "$all_flags" ]; then
    say "configuring ${TREE#$TOP/}: ./configure $flags${cflags:+ CFLAGS='$cflags'}${ldflags:+ LDFLAGS='$ldflags'}"
    rm -f .configure-flags
    # Objects built with other flags must not stay: make rebuilds only what
    # changed, and mixed flags (e.g. -msse4.2, which changes lib/hash.h's
    # hash) would mix code that disagrees.
    if [ -f Makefile ]; then
        make -s clean >/dev/null 2>&1 || true
    fi
    ./boot.sh >boot.log 2>&1 || { cat boot.log >&2; die "./boot.sh failed"; }
    # shellcheck disable=SC2086
    ./configure $flags ${cflags:+"CFLAGS=$cflags"} ${ldflags:+"LDFLAGS=$ldflags"} \
        >configure.log 2>&1 ||
        { tail -30 configure.log >&2; die "./configure failed (see ${TREE#$TOP/}/configure.log)"; }
    printf '%s\n' "$all_flags" > .configure-flags
fi
say "building ${TREE#$TOP/} (make -j$NPROC${*:+ $*})"
make -s -j"$NPROC" V=0 "$@"
