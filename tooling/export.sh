#!/usr/bin/env bash
# Write the tree's commits since the base back to patches/ as numbered
# 'git format-patch' files plus the 'series' file.  The same commits always
# give byte-identical files.
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no tree at ${TREE#$TOP/}: run 'make tree' first"
git -C "$TREE" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
    die "${TREE#$TOP/} has no '$BASE_TAG' tag"
if [ -d "$TREE/.git/rebase-apply" ] || [ -d "$TREE/.git/rebase-merge" ]; then
    die "${TREE#$TOP/} is in the middle of a rebase or 'git am': finish it first"
fi
if [ -n "$(git -C "$TREE" status --porcelain --untracked-files=no)" ]; then
    say "warning: ${TREE#$TOP/} has uncommitted edits; they are not exported"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=$(tgit rev-list --count "$BASE_TAG..HEAD")
if [ "$n" -gt 0 ]; then
    tgit format-patch -q --zero-commit --no-signature --find-renames \
        --no-cover-letter --output-directory "$tmp" "$BASE_TAG..HEAD" >/dev/null
fi
# git folds a long 'From:' header onto two lines; utilities/checkpatch.py
# reads the folded value literally and then finds no matching Signed-off-by.
# Unfold it (mail headers may be up to 998 characters; git am reads both).
for f in "$tmp"/*.patch; do
    [ -f "$f" ] || continue
    awk 'NR > 1 && hdr && /^[ \t]/ && prev ~ /^From: / { prev = prev " " substr($0, 2); next }
         NR > 1 { print prev }
         /^$/ { hdr = 0 }
         NR == 1 { hdr = 1 }
         { prev = $0 }
         END { print prev }' "$f" > "$f.tmp"
    mv "$f.tmp" "$f"
done
{
    echo "# The ovs-dpif-offload series, applied in this order on top of"
    echo "# Open vSwitch 3.1.0 ($BASE_PKG $BASE_VERSION)."
    echo "# Written by 'make export'; edit the tree, not these files."
    (cd "$tmp" && ls -1 | grep '\.patch$' | LC_ALL=C sort) || true
} > "$tmp/series"

mkdir -p "$PATCHES"
rm -f "$PATCHES"/*.patch
cp "$tmp"/*.patch "$PATCHES"/ 2>/dev/null || true
cp "$tmp/series" "$SERIES"
say "exported $n patch(es) to ${PATCHES#$TOP/}/"
git -C "$TOP" status --short -- "${PATCHES#$TOP/}" | sed 's/^/  /'
