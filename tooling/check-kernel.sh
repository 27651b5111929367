#!/usr/bin/env bash
# Run Open vSwitch's kernel datapath testsuite (tests/system-kmod-testsuite,
# the tree's 'make check-kernel') and judge the result.
#
#   check-kernel.sh              the patched tree (build/ovs)
#   check-kernel.sh --offloads   the tc flower offload suite instead
#                                (tests/system-offloads-testsuite, the
#                                tree's 'make check-offloads')
#   check-kernel.sh --base       the unpatched base (build/base); with no
#                                TESTSUITEFLAGS it runs only the suite's known
#                                baseline failures and succeeds when each of
#                                them fails there
#   check-kernel.sh --base-all   the whole suite on the unpatched base
#
# When the running kernel can load the openvswitch and cls_flower modules,
# the suite runs right here, as root.  Otherwise (this project's machines:
# a kernel without either) it boots Debian's own kernel under qemu
# (tooling/vm/) and runs the suite there, split by test number over VM_COUNT
# VMs of one CPU each; every VM sees this host's files through a throw-away
# overlay, so the trees are only read.  Afterwards the failed tests'
# directories are in tests/SUITE.dir/NNN as usual and each VM's logs in
# tests/SUITE.dir/vmK/.
#
# TESTSUITEFLAGS is passed on (test numbers and -k keywords select the tests
# to split over the VMs).  Failed tests are re-run once (RECHECK=yes);
# failures listed in tooling/known-failures-kernel (-offloads) are reported
# but do not fail the run.  Knobs, all optional:
#   VM=auto|yes|no       where to run (auto: on the host when it can)
#   VM_COUNT=N           VMs in parallel (default: the number of CPUs)
#   VM_CPUS=1 VM_MEM=2048   vCPUs and MB of memory per VM
#   VM_ACCEL=kvm|tcg     force the accelerator (see tooling/vm/run.sh)
#   KERNEL_TIMEOUT=S     kill a VM (or the host run) after S seconds
#                        (default 600 + 90 per test it runs)
#   NO_BUILD=1           use the tree as it is: no tree.sh/build.sh
#   RECHECK=no           no second run of the failed tests
. "$(dirname "$0")/lib.sh"

suite=system-kmod-testsuite target=check-kernel
known=$TOOLING/known-failures-kernel
mode=patched
while [ $# -gt 0 ]; do
    case $1 in
        --offloads)
            suite=system-offloads-testsuite target=check-offloads
            known=$TOOLING/known-failures-offloads;;
        --base) mode=base;;
        --base-all) mode=base-all;;
        *) die "unknown option $1";;
    esac
    shift
done
[ $mode = patched ] || TREE=$BASE_TREE
RECHECK=${RECHECK:-yes}
flags=${TESTSUITEFLAGS:-}
expect=

if [ "${NO_BUILD:-}" != 1 ]; then
    if [ $mode = patched ]; then
        "$TOOLING/tree.sh" --auto "$TREE"
    else
        "$TOOLING/tree.sh" --base-only "$TREE"
    fi
    "$TOOLING/build.sh" "$TREE" all "tests/$suite"
fi
[ -f "$TREE/tests/$suite" ] || die "${TREE#$TOP/}/tests/$suite is missing (build it, or drop NO_BUILD=1)"

if [ $mode = base ] && [ -z "$flags" ]; then
    # The known failures, by title: their numbers are those of this tree.
    flags=$(known_failure_numbers "$TREE/tests/$suite" "$known")
    [ -n "$flags" ] || exit 0
    expect=--expect-known-failures
fi

# Can the running kernel take the suite itself?  A module that is loaded or
# built in shows in /sys/module; 'modprobe -n' finds one that can be loaded.
host_can_run() {
    local m
    case ${VM:-auto} in
        yes) return 1;;
        no) return 0;;
    esac
    for m in openvswitch cls_flower; do
        [ -d "/sys/module/$m" ] && continue
        modprobe -n -q "$m" 2>/dev/null || return 1
    done
}

log=$TREE/tests/$target-output.log
start=$(date +%s)

if host_can_run; then
    [ "$(id -u)" = 0 ] ||
        die "'make $target' needs root (kernel datapath, network namespaces)"
    say "running '$target' on this host's kernel $(uname -r) in ${TREE#$TOP/} (TESTSUITEFLAGS=$flags)"
    set +e
    timeout --foreground "${KERNEL_TIMEOUT:-14400}" \
        make -C "$TREE" -s "$target" TESTSUITEFLAGS="$flags" \
             RECHECK="$RECHECK" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    [ "$status" != 124 ] ||
        say "'$target' did not finish in ${KERNEL_TIMEOUT:-14400}s: stopped"
    say "'$target' took $(( $(date +%s) - start ))s; output in ${log#$TOP/}"
    cd "$TOP"
    rc=0
    python3 "$TOOLING/testsummary.py" "$log" "${known#$TOP/}" $expect \
        --proof="make $target BASE=1" || rc=1
    [ "$status" != 124 ] || rc=1
    exit $rc
fi

# ---- In VMs. ----
# Split TESTSUITEFLAGS into what selects tests (numbers, ranges, -k) and
# the rest, which every VM gets.  -j is dropped: the kernel suites run -j1
# (their tests share the datapath), as the tree's Makefile does.
eval "words=($flags)"
select=() pass=()
i=0
while [ $i -lt ${#words[@]} ]; do
    w=${words[$i]}
    case $w in
        -k|--keywords) select+=("$w" "${words[$((i + 1))]:-}"); i=$((i + 1));;
        -k*|--keywords=*) select+=("$w");;
        -j*|--jobs*) ;;
        --recheck) die "--recheck needs the previous run's log; failed tests are re-run anyway (RECHECK=yes)";;
        *)
            if [[ $w =~ ^[0-9]*-?[0-9]*$ ]] && [[ $w =~ [0-9] ]]; then
                select+=("$w")
            else
                pass+=("$w")
            fi;;
    esac
    i=$((i + 1))
done

# The selected tests and their titles, from the suite's own --list (which
# exits before it reads atlocal, so it runs nothing here).
declare -A title
nums=()
while IFS=$'\t' read -r n t; do
    nums+=("$n")
    title[$n]=$t
done < <(cd "$TREE/tests" && bash "./$suite" "${select[@]}" --list |
         sed -n 's/^ *\([0-9][0-9]*\): [^ ]* *\(.*\)$/\1\t\2/p')
[ ${#nums[@]} -gt 0 ] || die "TESTSUITEFLAGS='$flags' selects no test of $suite"

mem=${VM_MEM:-2048}
count=${VM_COUNT:-$NPROC}
[ "$count" -le ${#nums[@]} ] || count=${#nums[@]}
# Each VM takes its memory from the host's: no more VMs than fit.
avail=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
fit=$(( avail / (mem + 256) ))
[ "$fit" -ge 1 ] || die "not enough free memory for one VM of ${mem} MB (${avail} MB available)"
if [ "$count" -gt "$fit" ]; then
    say "only $fit VMs of $mem MB fit in the available memory"
    count=$fit
fi

# Round-robin by number: neighbouring tests tend to be alike (and alike
# slow), so this balances the VMs better than contiguous blocks.
shard=()
for i in "${!nums[@]}"; do
    k=$(( i % count ))
    shard[$k]="${shard[$k]:-} ${nums[$i]}"
done

autotest_path=$(sed -n 's/^AUTOTEST_PATH = //p' "$TREE/Makefile")
while [[ $autotest_path =~ \$\(([A-Za-z0-9_]+)\) ]]; do
    v=${BASH_REMATCH[1]}
    autotest_path=${autotest_path//"\$($v)"/$(sed -n "s/^$v = *//p" "$TREE/Makefile")}
done

outdir=$TREE/tests/$suite.dir
rm -rf "$outdir"
mkdir -p "$outdir"
say "running '$target' of ${TREE#$TOP/}: ${#nums[@]} tests in $count VM(s) of Debian's kernel (TESTSUITEFLAGS=$flags)"

pids=() tails=()
# On an interruption, stop the VMs started here: each run.sh (a child of
# its shard's subshell) kills its own qemu when it exits.
cleanup() {
    local p
    for p in "${pids[@]}" "${tails[@]}"; do
        pkill -TERM -P "$p" 2>/dev/null || true
        kill "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for k in $(seq 0 $((count - 1))); do
    d=$outdir/vm$((k + 1))
    n=$(wc -w <<< "${shard[$k]}")
    mkdir -p "$d"
    # shellcheck disable=SC2086
    (
        cd "$TREE"      # the guest runs the command in the same directory
        s=$(date +%s)
        rc=0
        "$TOOLING/vm/run.sh" --quiet --dir "$d" --cpus "${VM_CPUS:-1}" --mem "$mem" \
            --timeout "${KERNEL_TIMEOUT:-$(( 600 + 90 * n ))}" -- \
            env RECHECK="$RECHECK" bash "$TOOLING/vm/suite.sh" "$suite" \
                "$autotest_path" "${pass[@]}" ${shard[$k]} || rc=$?
        echo "$rc $(( $(date +%s) - s ))" > "$d/result"
        exit "$rc"
    ) &
    pids+=($!)
    ( sleep 1; tail -n +1 -F --pid="${pids[$k]}" "$d/output.log" 2>/dev/null |
          sed -u "s/^/[vm$((k + 1))] /" ) &
    tails+=($!)
done
for p in "${pids[@]}"; do
    wait "$p" || true
done
for p in "${tails[@]}"; do
    wait "$p" 2>/dev/null || true
done
trap - EXIT INT TERM

# One log for the whole run, as if one testsuite had printed it; tests of a
# VM that was killed or crashed count as failed.
: > "$log"
status=0
for k in $(seq 0 $((count - 1))); do
    d=$outdir/vm$((k + 1))
    read -r rc secs < "$d/result" || { rc=125; secs=?; }
    n=$(wc -w <<< "${shard[$k]}")
    cat "$d/output.log" >> "$log" 2>/dev/null || true
    case $rc in
        124|125)
            status=1
            why="the VM was killed after ${KERNEL_TIMEOUT:-$(( 600 + 90 * n ))}s"
            [ "$rc" = 124 ] || why="the VM stopped early (see ${d#$TOP/}/console.log)"
            say "vm$((k + 1)): $why"
            for t in ${shard[$k]}; do
                grep -qE "^ *$t: .* (ok|skipped|FAILED|expected failure|UNEXPECTED PASS)" \
                    "$d/output.log" 2>/dev/null ||
                    printf '%4d: %s FAILED (no result: %s)\n' "$t" "${title[$t]}" "$why" >> "$log"
            done;;
    esac
    say "vm$((k + 1)): $n tests in ${secs}s"
    for t in "$d"/[0-9]*; do
        [ -d "$t" ] && mv "$t" "$outdir/"
    done
done
say "'$target' took $(( $(date +%s) - start ))s in $count VM(s); output in ${log#$TOP/}, logs in ${outdir#$TOP/}/vm*/, failed tests in ${outdir#$TOP/}/NNN"
cd "$TOP"
python3 "$TOOLING/testsummary.py" "$log" "${known#$TOP/}" $expect \
        --proof="make $target BASE=1" || status=1
exit $status
