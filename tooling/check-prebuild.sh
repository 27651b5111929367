#!/usr/bin/env bash
# Builds what the stages of 'make check' after the unit suite need: the
# sanitizer tree (build/asan, check-asan.sh --build-only) and the Debian
# packages (build/deb, deb.sh), and runs lintian on the packages
# (check-deb.sh --lintian-only), at idle CPU priority (SCHED_IDLE, or nice
# 19 where that is refused).  check.sh runs it next to the unit suite, whose
# tests leave part of the CPU idle while they wait for daemons and timers:
# the kernel runs an idle-priority task only on a CPU that nothing else
# wants, so the builds take that idle time without taking CPU from the
# tests.  What is not done when the unit suite ends goes on at full speed.
#
#   check-prebuild.sh
#
# All of it is incremental: the stages that use it do it again (a no-op
# when this succeeded), so a failure here shows up there, in order.
. "$(dirname "$0")/lib.sh"

if chrt --idle -p 0 $$ >/dev/null 2>&1; then
    say "running at idle CPU priority (SCHED_IDLE)"
else
    renice -n 19 -p $$ >/dev/null
    say "SCHED_IDLE refused: running at nice 19"
fi

status=0
start=$(date +%s)
"$TOOLING/check-asan.sh" --build-only || status=1
say "sanitizer tree: $(( $(date +%s) - start ))s"
start=$(date +%s)
# check.sh installed the build dependencies (tooling/packages-deb).
{ "$TOOLING/deb.sh" && "$TOOLING/check-deb.sh" --lintian-only; } || status=1
say "Debian packages and lintian: $(( $(date +%s) - start ))s"
exit $status
