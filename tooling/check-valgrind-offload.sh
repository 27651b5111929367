#!/usr/bin/env bash
# The offload tests of the unit suite (the selection of check-asan.sh) with
# ovs-vswitchd and ovsdb-server under valgrind, as OVS's 'make
# check-valgrind' runs them, but with the command line tools (ovs-appctl,
# ovs-vsctl, ovs-ofctl...) run natively: under valgrind on two cores they
# log "Unreasonably long poll interval" to the stderr that the tests check,
# and the memory errors that matter here are the switch's.  Fails when a
# test fails or valgrind reports an error or a definite leak.  Too slow for
# 'make check'; run it by hand.
#
#   check-valgrind-offload.sh
. "$(dirname "$0")/lib.sh"

SELECTION=${TESTSUITEFLAGS:--k offload -k dpctl -k dpif-netdev}

"$TOOLING/tree.sh" --auto "$TREE"
"$TOOLING/build.sh" "$TREE"
flags=$(python3 "$TOOLING/select-tests.py" "$TREE/tests/testsuite" \
            "$TOOLING/not-run" -j$NPROC $SELECTION) ||
    die "no test to run"
log=$TREE/tests/check-valgrind-output.log
rm -rf "$TREE/tests/testsuite.dir"

# OVS's wrappers of the two daemons, alone in a directory that goes first
# in the tests' PATH; VALGRIND is the command line of OVS's Makefile.
make -C "$TREE" -s tests/valgrind/ovs-vswitchd tests/valgrind/ovsdb-server
wrappers=$BUILD/valgrind-daemons
rm -rf "$wrappers"
mkdir -p "$wrappers"
cp "$TREE/tests/valgrind/ovs-vswitchd" "$TREE/tests/valgrind/ovsdb-server" \
   "$wrappers/"
valgrind="valgrind --log-file=valgrind.%p --leak-check=full \
--track-origins=yes --suppressions=$TREE/tests/glibc.supp \
--suppressions=$TREE/tests/openssl.supp --num-callers=20"
path=$wrappers
for d in utilities vswitchd ovsdb vtep tests ipsec; do
    path=$path:$TREE/$d
done

say "running the offload tests, daemons under valgrind (TESTSUITEFLAGS=$flags)"
start=$(date +%s)
set +e
(cd "$TREE/tests" &&
 ./testsuite CHECK_VALGRIND=true VALGRIND="$valgrind" AUTOTEST_PATH="$path" \
     -d $flags) 2>&1 | tee "$log"
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
    grep -A30 -E 'Invalid|uninitialised|definitely lost in' "$f" |
        head -60 || true
    status=1
done
cd "$TOP"
python3 "$TOOLING/testsummary.py" "$log" "${TOOLING#$TOP/}/known-failures" ||
    status=1
exit $status
