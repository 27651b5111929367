#!/usr/bin/env bash
# The sanitizer gate: the series built a second time, in build/asan, with
# AddressSanitizer and UndefinedBehaviorSanitizer, and the offload tests of
# the unit suite run in it.  Any sanitizer report, a leak included, fails
# the test that caused it, so this fails.
#
#   check-asan.sh [--build-only]
#
# The tree (see build_asan_tree in lib.sh) has DPDK built in; the unit
# tests don't start DPDK, but its code is linked.  TESTSUITEFLAGS replaces
# the selection below.
. "$(dirname "$0")/lib.sh"

# The offload tests: the layer and its providers (dpif-offload.at, the
# micro-benchmark included), dpif-netdev's offload and flow tests, the
# ofproto-dpif and pmd offload tests, the tc parsers, and dpctl.
SELECTION=${TESTSUITEFLAGS:--k offload -k dpctl -k dpif-netdev}

case ${1:-} in
    ''|--build-only) ;;
    *) die "unknown option $1 (usage: check-asan.sh [--build-only])";;
esac

if [ "${1:-}" = --build-only ]; then
    # The testsuite too, which 'make check' would build.
    build_asan_tree all tests/testsuite
    exit 0
fi
build_asan_tree

# tests/atlocal turns leak detection off (upstream's minor leaks); turn it
# back on.  OVS's test macros fail a test that leaves asan.* reports
# behind, and 'make check' does not re-run such a test.  UBSan errors abort
# the process (tests/atlocal sets halt_on_error), so the test fails at its
# next command; GCC 12's runtime, with ASan, prints UBSan reports to stderr
# whatever log_path says, which a detached daemon no longer has: run the
# daemon in the foreground to read one.
flags=$(python3 "$TOOLING/select-tests.py" "$ASAN_TREE/tests/testsuite" \
            "$TOOLING/not-run" -j$((NPROC * 2)) $SELECTION) ||
    die "no test to run"
log=$ASAN_TREE/tests/check-output.log
rm -rf "$ASAN_TREE/tests/testsuite.dir"
say "running the offload tests with ASan and UBSan (TESTSUITEFLAGS=$flags)"
start=$(date +%s)
set +e
ASAN_OPTIONS=detect_leaks=1 \
LSAN_OPTIONS=suppressions=$TOOLING/lsan-suppressions:print_suppressions=0 \
    make -C "$ASAN_TREE" -s check TESTSUITEFLAGS="$flags" RECHECK=yes \
    2>&1 | tee "$log"
set -e
say "took $(( $(date +%s) - start ))s; output in ${log#$TOP/}"
reports=$(find "$ASAN_TREE/tests/testsuite.dir" -name 'asan.*' -o -name 'ubsan.*' |
          sort)
for r in $reports; do
    say "sanitizer report: ${r#$TOP/}"
    head -40 "$r"
done
cd "$TOP"
status=0
python3 "$TOOLING/testsummary.py" "$log" "${TOOLING#$TOP/}/known-failures" ||
    status=1
[ -z "$reports" ] || status=1
exit $status
