#!/usr/bin/env python3
"""Summarize an Open vSwitch autotest run and judge it against the list of
known baseline failures.

usage: testsummary.py OUTPUT KNOWN [--expect-known-failures] [--proof=CMD]
       testsummary.py --numbers TESTSUITE KNOWN

OUTPUT is what 'make check' printed (the first run and, with RECHECK=yes, the
re-run of the failed tests).  A test's result is the last one printed for it,
so a flaky test that passes on the re-check counts as passed (and is named).

KNOWN lists tests that fail on the unpatched base here, one 'title:' line
each, followed by a 'reason:' line.

With --numbers, prints the numbers that the known failures have in the
generated TESTSUITE script (they change as tests are added), to select them.

Exit status: 0 when every failed test is a known baseline failure, 1 when
any other test failed or nothing ran.  With --expect-known-failures (used on
the unpatched base), 0 only when every known failure ran and failed.
"""

import re
import sys

RESULT = re.compile(r'^\s*(\d+): (.*?)\s+(ok|skipped \(.*\)|FAILED \(.*\)|'
                    r'expected failure.*|UNEXPECTED PASS.*)$')


def read_known(path):
    known = {}
    title = None
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('title:'):
                title = line[len('title:'):].strip()
                known[title] = ''
            elif line.startswith('reason:') and title is not None:
                known[title] = line[len('reason:'):].strip()
    return known


def numbers(testsuite, known):
    """Numbers of the tests of 'testsuite' whose titles are in 'known'."""
    nums = []
    with open(testsuite, errors='replace') as f:
        text = f.read()
    m = re.search(r"^at_help_all=\"(.*?)\"$", text, re.M | re.S)
    for line in (m.group(1).splitlines() if m else []):
        fields = line.split(';')
        if len(fields) >= 3 and fields[2].replace("'\\''", "'") in known:
            nums.append(fields[0])
    return nums


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    if '--numbers' in sys.argv:
        known = read_known(args[1])
        nums = numbers(args[0], known)
        print(' '.join(nums))
        return 0 if len(nums) == len(known) else 1
    expect_known = '--expect-known-failures' in sys.argv
    # The command that runs the known failures on the base.
    proof = 'make check-base'
    for a in sys.argv[1:]:
        if a.startswith('--proof='):
            proof = a[len('--proof='):]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    output, known_path = args
    known = read_known(known_path)

    final = {}          # test number -> (title, status)
    first = {}          # status of the first run, to name flaky tests
    with open(output, errors='replace') as f:
        for line in f:
            m = RESULT.match(line.rstrip('\n'))
            if not m:
                continue
            num, title, status = int(m.group(1)), m.group(2), m.group(3)
            first.setdefault(num, status)
            final[num] = (title, status)

    passed = [n for n, (t, s) in final.items() if s == 'ok']
    skipped = [n for n, (t, s) in final.items() if s.startswith('skipped')]
    xfail = [n for n, (t, s) in final.items()
             if s.startswith('expected failure')]
    failed = [n for n, (t, s) in final.items()
              if s.startswith('FAILED') or s.startswith('UNEXPECTED PASS')]
    known_failed = [n for n in failed if final[n][0] in known]
    new_failed = [n for n in failed if final[n][0] not in known]
    flaky = [n for n in passed if first[n] != 'ok']

    for n in sorted(flaky):
        print('passed on re-check (flaky): %d: %s' % (n, final[n][0]))
    for n in sorted(known_failed):
        t = final[n][0]
        print('known baseline failure: %d: %s (%s)' % (n, t, known[t]))
    for n in sorted(new_failed):
        print('FAILED: %d: %s %s' % (n, final[n][0], final[n][1]))

    if expect_known:
        ran = {t for t, s in final.values()}
        missing = [t for t in known if t not in ran]
        still = [t for t in known
                 if t in ran and t in {final[n][0] for n in failed}]
        for t in known:
            if t in missing:
                print('base: did not run: %s' % t)
            elif t not in still:
                print('base: PASSED, so not a known failure: %s' % t)
            else:
                print('base: fails as listed: %s' % t)
        print('%d passed, %d failed, %d skipped'
              % (len(passed), len(failed), len(skipped)))
        return 0 if len(still) == len(known) and final else 1

    if known_failed:
        print('%d known baseline failure(s): they fail on the unpatched base '
              'too (%s, proven by %s)'
              % (len(known_failed), known_path, proof))
    print('%d passed, %d failed, %d skipped'
          % (len(passed) + len(xfail), len(new_failed), len(skipped)))
    if not final:
        print('no test ran')
        return 1
    return 1 if new_failed else 0


if __name__ == '__main__':
    sys.exit(main())
