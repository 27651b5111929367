#!/usr/bin/env bash
# Run Open vSwitch's DPDK system testsuite (tests/system-dpdk-testsuite, the
# tree's 'make check-dpdk') on this host, as root, against the real DPDK
# library with software devices only (net_null, vhost-user): no NIC needed.
# Tests that need a physical NIC bound to vfio/igb_uio skip, as upstream.
#
#   check-dpdk.sh --offloads   runs the DPDK offload suite instead
#                              (tests/system-dpdk-offloads-testsuite, the
#                              tree's 'make check-dpdk-offloads': net_tap
#                              ports, rte_flow emulated by a test library)
#
# The suite needs hugepages: this reserves HUGEPAGES 2 MB pages (default
# 1024) and mounts hugetlbfs on /dev/hugepages when they are missing, and
# puts back what it changed when it exits.  TESTSUITEFLAGS is passed on.
. "$(dirname "$0")/lib.sh"

target=check-dpdk
if [ "${1:-}" = --offloads ]; then
    target=check-dpdk-offloads
fi

[ "$(id -u)" = 0 ] ||
    die "'make $target' needs root (hugepages, vhost-user sockets, network namespaces)"

"$TOOLING/tree.sh" --auto "$TREE"
"$TOOLING/build.sh" "$TREE"

trap hugepages_restore EXIT
hugepages_reserve "${HUGEPAGES:-1024}"

log=$TREE/tests/$target-output.log
say "running '$target' in ${TREE#$TOP/} (TESTSUITEFLAGS=${TESTSUITEFLAGS:-})"
start=$(date +%s)
# The whole run takes about 2 minutes here.  A test has been seen to hang
# in DPDK's vhost library (ovs-vswitchd spinning in
# rte_vhost_driver_unregister() while deleting a vhost-user-client port), and
# autotest has no per-test timeout: stop the run after DPDK_TIMEOUT seconds
# rather than wait forever.
set +e
timeout --foreground "${DPDK_TIMEOUT:-1800}" \
    make -C "$TREE" -s "$target" TESTSUITEFLAGS="${TESTSUITEFLAGS:-}" \
         RECHECK=yes 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" = 124 ]; then
    pkill -f 'ovs-vswitchd .*--pidfile' || true
    pkill -f 'tail -f /dev/null' || true
    die "'$target' did not finish in ${DPDK_TIMEOUT:-1800}s; see ${log#$TOP/}"
fi
say "'$target' took $(( $(date +%s) - start ))s; output in ${log#$TOP/}"
cd "$TOP"
python3 "$TOOLING/testsummary.py" "$log" "${TOOLING#$TOP/}/known-failures"
