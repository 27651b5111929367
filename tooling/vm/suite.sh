#!/usr/bin/env bash
# Runs in the test VM (tooling/check-kernel.sh starts it through run.sh), in
# the top of the build tree: one shard of a system testsuite, the way the
# tree's 'make check-kernel' / 'check-offloads' runs it (-j1: the tests share
# the kernel's datapath), then, with RECHECK=yes, its failed tests once more.
# Copies the logs and the failed tests' directories to the shared directory,
# since everything else the guest wrote vanishes with it.
#
#   suite.sh SUITE AUTOTEST_PATH [TESTSUITE-ARGS...]
set -u
suite=$1 autotest_path=$2
shift 2
dir=tests/$suite.dir
out=${VM_SHARE:?}

run() {
    bash "tests/$suite" -C tests AUTOTEST_PATH="$autotest_path" --color=never "$@"
}

run "$@" -j1
status=$?
if [ $status != 0 ] && [ "${RECHECK:-yes}" = yes ]; then
    # Keep the first run's log and failed directories: a test that passes
    # on the re-check is flaky, and its first failure is worth reading.
    mkdir -p "$out/first-run"
    cp "tests/$suite.log" "$out/first-run/testsuite.log" 2>/dev/null
    for t in "$dir"/[0-9]*; do
        [ -d "$t" ] && cp -a "$t" "$out/first-run/"
    done
    run --recheck -j1
    status=$?
fi
cp "tests/$suite.log" "$out/testsuite.log" 2>/dev/null
for t in "$dir"/[0-9]*; do
    [ -d "$t" ] && cp -a "$t" "$out/"
done
exit $status
