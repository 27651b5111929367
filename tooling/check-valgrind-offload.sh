#!/usr/bin/env bash
# The offload tests of the unit suite (the selection of check-asan.sh) under
# valgrind, with OVS's own 'make check-valgrind' of build/ovs.  Fails when a
# test fails or valgrind reports an error or a definite leak.  Too slow for
# 'make check'; run it by hand.
#
#   check-valgrind-offload.sh
. "$(dirname "$0")/lib.sh"

SELECTION=${TESTSUITEFLAGS:--k offload -k dpctl -k dpif-netdev}

"$TOOLING/tree.sh" --auto "$TREE"
"$TOOLING/build.sh" "$TREE"
flags=$(python3 "$TOOLING/select-tests.py" "$TREE/tests/testsuite" \
            "$TOOLING/not-run" -j$((NPROC * 2)) $SELECTION) ||
    die "no test to run"
log=$TREE/tests/check-valgrind-output.log
rm -rf "$TREE/tests/testsuite.dir"
say "running the offload tests under valgrind (TESTSUITEFLAGS=$flags)"
start=$(date +%s)
set +e
make -C "$TREE" -s check-valgrind TESTSUITEFLAGS="$flags" 2>&1 | tee "$log"
set -e
say "took $(( $(date +%s) - start ))s; output in ${log#$TOP/}"
status=0
# Invalid accesses, uses of uninitialized values and definite leaks; not
# "possibly lost" blocks, such as glibc's thread-local storage of threads
# that are still running at exit.
bad=$(grep -lE 'Invalid (read|write|free)|uninitialised|(definitely|indirectly) lost: [1-9]' \
          $(find "$TREE/tests/testsuite.dir" -name 'valgrind.*') /dev/null ||
      true)
for f in $bad; do
    say "valgrind report: ${f#$TOP/}"
    grep -A30 -E 'Invalid|uninitialised|definitely lost in' "$f" | head -60
    status=1
done
cd "$TOP"
python3 "$TOOLING/testsummary.py" "$log" "${TOOLING#$TOP/}/known-failures" ||
    status=1
exit $status
