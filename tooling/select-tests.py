#!/usr/bin/env python3
"""Take the tests that must never run here out of a testsuite selection.

usage: select-tests.py TESTSUITE NOT-RUN [FLAG...]

FLAGs are TESTSUITEFLAGS for the autotest script TESTSUITE (test numbers,
ranges, -k KEYWORDS, -j, ...).  NOT-RUN lists tests, one 'title:' line
each, that must not run whatever the FLAGs select.  Prints the FLAGs to
use: unchanged when the selection holds none of those tests; otherwise the
FLAGs that do not select (-j, -v, ...) followed by the numbers of the
selected tests, as ranges, without the ones NOT-RUN lists.  Exits with
status 3, printing nothing, when no test is left to run.
"""

import re
import subprocess
import sys

LISTED = re.compile(r'^\s*(\d+): \S+\s+(.*?)\s*$')
SELECTOR = re.compile(r'^(\d+|\d+-\d*|-\d+)$')


def read_titles(path):
    titles = set()
    with open(path) as f:
        for line in f:
            if line.startswith('title:'):
                titles.add(line[len('title:'):].strip())
    return titles


def ranges(numbers):
    out = []
    start = prev = None
    for n in sorted(numbers):
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(str(start) if start == prev else '%d-%d' % (start, prev))
        start = prev = n
    if start is not None:
        out.append(str(start) if start == prev else '%d-%d' % (start, prev))
    return out


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    testsuite, not_run_path, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    not_run = read_titles(not_run_path)

    listing = subprocess.run([testsuite, '--list'] + flags, check=True,
                             stdout=subprocess.PIPE,
                             universal_newlines=True).stdout
    selected = {}
    for line in listing.splitlines():
        m = LISTED.match(line)
        if m:
            selected[int(m.group(1))] = m.group(2)
    excluded = [n for n, t in selected.items() if t in not_run]
    if not excluded:
        print(' '.join(flags))
        return 0

    kept = []
    skip_next = False
    for flag in flags:
        if skip_next:
            skip_next = False
        elif flag in ('-k', '--keywords'):
            skip_next = True
        elif flag.startswith('-k') or flag.startswith('--keywords='):
            pass
        elif SELECTOR.match(flag):
            pass
        else:
            kept.append(flag)
    for n in sorted(excluded):
        sys.stderr.write('not running test %d: %s (tooling/not-run)\n'
                         % (n, selected[n]))
    left = ranges(n for n in selected if n not in excluded)
    if not left:
        return 3
    print(' '.join(kept + left))
    return 0


if __name__ == '__main__':
    sys.exit(main())
