#!/usr/bin/env bash
# Benchmark the patched tree (build/ovs) against the unpatched base
# (build/base), built with the same configure flags (-O2, OVS's default
# CFLAGS), in one run: see tooling/bench.py and README.md.
#
#   bench.sh [--quick]      QUICK=1 from the Makefile
#
# As root it also runs the DPDK workloads (bench.py --dpdk): hugepages are
# reserved as for 'make check-dpdk' and given back at the end.
#
# Both builds are incremental: a second run rebuilds only what changed.
. "$(dirname "$0")/lib.sh"

quick=
[ "${1:-}" = --quick ] && quick=--quick

"$TOOLING/tree.sh" --base-only "$BASE_TREE"
"$TOOLING/build.sh" "$BASE_TREE"
"$TOOLING/tree.sh" --auto "$TREE"
"$TOOLING/build.sh" "$TREE"
"$TOOLING/build.sh" "$TREE" tests/ovstest

for t in "$BASE_TREE" "$TREE"; do
    [ "$(cat "$t/.configure-flags")" = "$(cat "$TREE/.configure-flags")" ] ||
        die "${t#$TOP/} was configured with other flags"
done
command -v valgrind >/dev/null || die "valgrind is missing: run 'make deps'"

# The DPDK workloads need root for hugepages (BENCH_NO_DPDK=1 leaves them
# out), and the rte_flow emulator of the patched tree, preloaded into both
# builds.
dpdk=
latency_lib=
if [ "$(id -u)" = 0 ] && [ -z "${BENCH_NO_DPDK:-}" ]; then
    "$TOOLING/build.sh" "$TREE" tests/librte-flow-emu.so
    # Notes when each flow's packet arrives and its rte_flow rule is made.
    mkdir -p "$BUILD/bench"
    # shellcheck disable=SC2046
    gcc -O2 -g -Wall -Wextra -Werror -shared -fPIC \
        $(pkg-config --cflags libdpdk) \
        -Wl,--version-script="$TOOLING/bench-latency.map" \
        -o "$BUILD/bench/bench-latency.so" "$TOOLING/bench-latency.c" -ldl
    latency_lib="--latency-lib $BUILD/bench/bench-latency.so"
    trap hugepages_restore EXIT
    hugepages_reserve "${HUGEPAGES:-1024}"
    dpdk=--dpdk
else
    say "no DPDK workloads (they need root, for hugepages)"
fi

# shellcheck disable=SC2086
/usr/bin/python3 "$TOOLING/bench.py" $quick $dpdk $latency_lib ${BENCH_ARGS:-} \
    --base "$BASE_TREE" --patched "$TREE" --out "$BUILD/bench"
