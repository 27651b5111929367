#!/usr/bin/env bash
# Run Open vSwitch's testsuite in a built tree and judge the result.
#
#   check.sh              the patched tree (build/ovs), the full suite
#   check.sh --base       the unpatched base (build/base); with no
#                         TESTSUITEFLAGS it runs only the known baseline
#                         failures and succeeds when each of them fails there
#
# TESTSUITEFLAGS is passed to the testsuite (e.g. '-k offload', '941 1200');
# -j(2 x cores) is added unless it sets -j itself.  Failed tests are re-run once
# (RECHECK=yes) to tell flaky tests from real failures; failures listed in
# tooling/known-failures are reported but do not fail the run.  Tests listed
# in tooling/not-run never run.
. "$(dirname "$0")/lib.sh"

KNOWN=$TOOLING/known-failures
flags=${TESTSUITEFLAGS:-}
mode=patched
if [ "${1:-}" = --base ]; then
    mode=base
    TREE=$BASE_TREE
fi

if [ $mode = base ]; then
    "$TOOLING/tree.sh" --base-only "$TREE"
    "$TOOLING/build.sh" "$TREE" tests/testsuite
    if [ -z "$flags" ]; then
        # The known failures, by title: their numbers are those of this tree.
        flags=$(known_failure_numbers "$TREE/tests/testsuite" "$KNOWN")
        [ -n "$flags" ] || exit 0
        expect=--expect-known-failures
    fi
else
    "$TOOLING/tree.sh" --auto "$TREE"
fi
"$TOOLING/build.sh" "$TREE"

# The whole check (no TESTSUITEFLAGS) of the patched tree runs more stages
# after the unit suite (below).  What they need built, the sanitizer tree
# and the Debian packages, and lintian's check of the packages are done
# next to the unit suite, at idle CPU priority (tooling/check-prebuild.sh).
full=no
if [ $mode = patched ] && [ -z "${TESTSUITEFLAGS:-}" ]; then
    full=yes
    # Installing packages stays in the foreground: a kill of the background
    # job must not stop dpkg half-way.
    "$TOOLING/deps.sh" "$TOOLING/packages-deb"
    prebuild_log=$BUILD/check-prebuild.log
    say "building build/asan and the Debian packages in the background" \
        "(log in ${prebuild_log#$TOP/})"
    setsid "$TOOLING/check-prebuild.sh" > "$prebuild_log" 2>&1 &
    prebuild_pid=$!
    trap 'kill -- -$prebuild_pid 2>/dev/null || true' EXIT
fi

# Most tests spend their time waiting (timers, daemons starting), not
# computing: two jobs per core finish the suite in about half the time of
# one per core, and RECHECK catches a test that this makes miss a deadline.
case " $flags " in
    *" -j"*) ;;
    *) flags="-j$((NPROC * 2)) $flags";;
esac

# Some tests must never run here (tooling/not-run): take them out of the
# selection, whatever it is.
flags=$(python3 "$TOOLING/select-tests.py" "$TREE/tests/testsuite" \
            "$TOOLING/not-run" $flags) || {
    [ $? = 3 ] || die "could not list the tests that TESTSUITEFLAGS select"
    say "TESTSUITEFLAGS select only tests that tooling/not-run excludes"
    exit 1
}

log=$TREE/tests/check-output.log
rm -rf "$TREE/tests/testsuite.dir"
say "running the testsuite in ${TREE#$TOP/} (TESTSUITEFLAGS=$flags)"
start=$(date +%s)
set +e
make -C "$TREE" -s check TESTSUITEFLAGS="$flags" RECHECK=yes 2>&1 | tee "$log"
set -e
say "testsuite took $(( $(date +%s) - start ))s; output in ${log#$TOP/}"
cd "$TOP"
status=0
python3 "$TOOLING/testsummary.py" "$log" "${KNOWN#$TOP/}" ${expect:-} ||
    status=$?

# The whole check (no TESTSUITEFLAGS) of the patched tree then builds the
# DPDK offload code with ALLOW_EXPERIMENTAL_API (seconds), runs the
# sanitizer gate (the offload unit tests in build/asan), the DPDK offload
# suite (as root) and the tc offload suite (in VMs on a kernel without
# openvswitch and tc flower), and checks that the Debian packages are built
# and pass lintian (done in the background: make deb and check-deb.sh
# --lintian-only only confirm it here).  It waits first for the background
# builds.  The packages' install and upgrade in the test VM (make
# check-deb, about 6 minutes on a slow machine) is not part of it: with it,
# a fresh-clone run took 88 of CI's 90 minutes on such a machine.
if [ $full = yes ]; then
    start=$(date +%s)
    if wait $prebuild_pid; then
        say "background builds done ($(( $(date +%s) - start ))s more after the testsuite)"
    else
        say "background builds failed; the stages below build again:"
        tail -20 "$prebuild_log"
    fi
    trap - EXIT
    grep -E '^check-prebuild.sh: ' "$prebuild_log" || true
    "$TOOLING/check-experimental-api.sh" || status=1
    "$TOOLING/check-asan.sh" || status=1
    "$TOOLING/check-dpdk.sh" --offloads || status=1
    "$TOOLING/check-kernel.sh" --offloads || status=1
    { "$TOOLING/deb.sh" && "$TOOLING/check-deb.sh" --lintian-only; } ||
        status=1
fi
exit $status
