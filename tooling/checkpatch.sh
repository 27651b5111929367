#!/usr/bin/env bash
# Run Open vSwitch's utilities/checkpatch.py on every patch of the series.
. "$(dirname "$0")/lib.sh"

[ -f "$TREE/utilities/checkpatch.py" ] || die "no tree: run 'make tree' first"
rc=0
for p in $(series_files); do
    if out=$(python3 "$TREE/utilities/checkpatch.py" -q "$p" 2>&1); then
        say "ok: ${p#$TOP/}"
    else
        rc=1
        say "FAILED: ${p#$TOP/}"
        printf '%s\n' "$out" | sed 's/^/    /'
    fi
done
exit $rc
