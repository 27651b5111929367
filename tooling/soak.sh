#!/usr/bin/env bash
# The churn soak for as long as you like: the unit test "dpif-offload -
# churn soak" (dpif-offload.at), which 'make check' runs for 15 seconds,
# here for SOAK_SECONDS (default 600).  While packets flow, it deletes and
# adds ports with changing offload priorities, deletes and adds a bridge,
# flushes flows, and has the dummy provider delay, fail and run out of room;
# after every round every packet sent must have reached its output port,
# and at the end the provider must hold exactly the datapath's offloaded
# flows, with no flow reference outstanding at exit.
#
#   soak.sh            in build/ovs (built if needed)
#   soak.sh --asan     in build/asan, with ASan and UBSan, leaks included
. "$(dirname "$0")/lib.sh"

seconds=${SOAK_SECONDS:-600}
case $seconds in
    ''|*[!0-9]*) die "SOAK_SECONDS must be a number of seconds" ;;
esac

if [ "${1:-}" = --asan ]; then
    tree=$ASAN_TREE
    build_asan_tree
    export ASAN_OPTIONS=detect_leaks=1
    export LSAN_OPTIONS=suppressions=$TOOLING/lsan-suppressions:print_suppressions=0
else
    tree=$TREE
    "$TOOLING/tree.sh" --auto "$tree"
    "$TOOLING/build.sh" "$tree"
fi

say "soaking for ${seconds}s in ${tree#$TOP/}"
rm -rf "$tree/tests/testsuite.dir"
start=$(date +%s)
set +e
(cd "$tree/tests" &&
 OVS_SOAK_SECONDS=$seconds ./testsuite -k soak \
     AUTOTEST_PATH="$tree/utilities:$tree/vswitchd:$tree/ovsdb:$tree/vtep:$tree/tests:$tree/ipsec::")
status=$?
set -e
dir=$(ls -d "$tree"/tests/testsuite.dir/[0-9]* 2>/dev/null | head -1)
log=${dir:+$dir/testsuite.log}
[ -n "$log" ] && grep -E '^[0-9]+ rounds|^offloaded ' "$log" | sed "s/^/${0##*\/}: /"
reports=$(find "$tree/tests/testsuite.dir" -name 'asan.*' -o -name 'ubsan.*' \
          2>/dev/null | sort)
for r in $reports; do
    say "sanitizer report: ${r#$TOP/}"
    head -40 "$r"
    status=1
done
say "took $(( $(date +%s) - start ))s"
[ $status = 0 ] || say "FAILED; see ${log:-$tree/tests/testsuite.log}"
exit $status
