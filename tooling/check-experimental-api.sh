#!/usr/bin/env bash
# Shows that the DPDK offload code builds with ALLOW_EXPERIMENTAL_API (the
# rte_flow tunnel offload paths, compiled out of Debian's build): the
# tree's sources in lib/dpif-offload-dpdk*.c and lib/netdev-dpdk.c are
# compiled, with -Werror as configured, into a scratch directory.  It
# needs a configured tree (make build).
. "$(dirname "$0")/lib.sh"

[ -f "$TREE/Makefile" ] || die "no configured tree at ${TREE#$TOP/}: run 'make build' first"
grep -q '^DPDK_LIB' "$TREE/Makefile" && grep -q -- '-I/usr/include/dpdk' "$TREE/Makefile" ||
    die "${TREE#$TOP/} is not configured with DPDK"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
make -s -C "$TREE" -f Makefile -f "$TOOLING/experimental-api.mk" \
     EXPERIMENTAL_OUT="$out" check-experimental-api ||
    die "the DPDK offload code does not build with ALLOW_EXPERIMENTAL_API"
say "the DPDK offload code builds with ALLOW_EXPERIMENTAL_API" \
    "($(ls "$out" | wc -l) files)"
