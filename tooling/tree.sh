#!/usr/bin/env bash
# Materialize the Open vSwitch tree: the base tarball as a git repository
# (first commit tagged 'base') with the series in patches/ applied by 'git am'.
#
#   tree.sh [--auto] [--force] [DIR]
#
# DIR defaults to build/ovs.  An existing tree is never thrown away silently:
#  - commits equal to the series: nothing to do;
#  - a tree that is behind the series (its commits are all in it): it is
#    reset to the base and the series applied again;
#  - commits that are not in the series (not exported): refused, unless
#    --force, which keeps them on a backup branch; with --auto (used by the
#    build) the tree is left as it is, with a note;
#  - uncommitted edits to tracked files: refused (or left alone with --auto).
. "$(dirname "$0")/lib.sh"

auto=no force=no base_only=no check_clean=no
while [ $# -gt 0 ]; do
    case $1 in
        --check-clean) check_clean=yes;;
        --auto) auto=yes;;
        --force) force=yes;;
        --base-only) base_only=yes;;
        -*) die "unknown option $1";;
        *) TREE=$1;;
    esac
    shift
done

# Writes the ignore rules: the files that ./boot.sh, ./configure and make
# generate, so that 'git status' shows only real edits.
write_excludes() {
    mkdir -p "$1/.git/info"
    cp "$TOOLING/tree-excludes" "$1/.git/info/exclude"
}

apply_series() {
    local dir=$1 p files
    [ $base_only = yes ] && return 0
    for p in $(series_files); do
        if ! git -C "$dir" am -q --keep-cr --whitespace=nowarn "$p" \
                >"$dir/.git/am.log" 2>&1; then
            files=$(sed -n 's/^error: patch failed: //p;
                             s/^error: \(.*\): does not exist in index/\1 (missing)/p;
                             s/^error: \(.*\): already exists in working directory/\1 (exists)/p' \
                    "$dir/.git/am.log" | paste -sd' ')
            git -C "$dir" am --abort >/dev/null 2>&1 || true
            sed 's/^/    /' "$dir/.git/am.log" >&2
            die "patch ${p#$TOP/} does not apply (failing: ${files:-see above});
  the tree as far as it got is in $dir"
        fi
    done
}

materialize() {
    local dir=$1 tmp=$1.new
    rm -rf "$tmp"
    mkdir -p "$tmp"
    say "extracting $BASE_TARBALL into ${dir#$TOP/}"
    tar xzf "$BASE_TARBALL" --no-same-owner --strip-components=1 -C "$tmp"
    git -C "$tmp" init -q -b main
    write_excludes "$tmp"
    git -C "$tmp" config user.name >/dev/null ||
        git -C "$tmp" config user.name "ovs-dpif-offload tooling"
    git -C "$tmp" config user.email >/dev/null ||
        git -C "$tmp" config user.email "tooling@ovs-dpif-offload.invalid"
    git -C "$tmp" add -A
    GIT_AUTHOR_NAME="Open vSwitch" GIT_AUTHOR_EMAIL="dev@openvswitch.org" \
    GIT_COMMITTER_NAME="Open vSwitch" GIT_COMMITTER_EMAIL="dev@openvswitch.org" \
    GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
        git -C "$tmp" commit -q -m "Open vSwitch 3.1.0 ($BASE_PKG $BASE_VERSION)." \
            -m "The release tarball, untouched; files that ./boot.sh and make
regenerate are left untracked, as in an upstream git checkout."
    git -C "$tmp" tag "$BASE_TAG"
    apply_series "$tmp"
    rm -rf "$dir"
    mv "$tmp" "$dir"
}

if [ ! -d "$TREE/.git" ]; then
    [ $check_clean = yes ] && exit 0
    [ -e "$TREE" ] && die "$TREE exists but is not a git repository: remove it"
    materialize "$TREE"
    if [ $base_only = yes ]; then
        say "${TREE#$TOP/}: the base, unpatched"
    else
        say "${TREE#$TOP/}: base + $(series_files | wc -l) patches"
    fi
    exit 0
fi

git -C "$TREE" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
    die "$TREE has no '$BASE_TAG' tag: remove it and run 'make tree' again"
write_excludes "$TREE"
[ $base_only = yes ] && exit 0

if [ -d "$TREE/.git/rebase-apply" ] || [ -d "$TREE/.git/rebase-merge" ]; then
    [ $auto = yes ] && { say "${TREE#$TOP/} is in the middle of a rebase or am: building it as it is"; exit 0; }
    # --force (build/asan, whose re-apply an interrupted run can leave
    # half-way): abort it, and the series is applied again below.
    [ $force = yes ] ||
        die "$TREE is in the middle of a rebase or 'git am': finish or abort it first"
    say "${TREE#$TOP/}: aborting an unfinished rebase or 'git am'"
    git -C "$TREE" am --abort >/dev/null 2>&1 ||
        git -C "$TREE" rebase --abort >/dev/null 2>&1 ||
        die "could not abort the rebase or 'git am' in $TREE"
fi

want=$(series_ids)
have=$(tree_ids)
unexported=$(comm -13 <(printf '%s\n' $want | sort -u) <(printf '%s\n' $have | sort -u) | grep -c . || true)
dirty=$(git -C "$TREE" status --porcelain --untracked-files=no)

if [ "$want" = "$have" ] && [ -z "$dirty" ]; then
    [ $check_clean = yes ] ||
        say "${TREE#$TOP/} is up to date with the series ($(series_files | wc -l) patches)"
    exit 0
elif [ "$want" = "$have" ] && [ $auto = yes ]; then
    say "note: ${TREE#$TOP/} has uncommitted edits; building it as it is"
    exit 0
fi

if [ "$unexported" -gt 0 ] || [ -n "$dirty" ]; then
    what=
    [ "$unexported" -gt 0 ] && what="$unexported commit(s) not in patches/"
    [ -n "$dirty" ] && what="${what:+$what and }uncommitted edits to tracked files"
    if [ $check_clean = yes ]; then
        die "${TREE#$TOP/} has $what: 'make export' first, or remove build/ by hand"
    fi
    if [ $auto = yes ]; then
        say "note: ${TREE#$TOP/} has $what; using it as it is ('make export' to save them)"
        exit 0
    fi
    if [ $force = no ]; then
        die "${TREE#$TOP/} has $what.
  Export them first:      make export   (then commit patches/)
  or throw the tree away: make tree FORCE=1  (commits are kept on a backup branch)"
    fi
    backup=backup/$(date -u +%Y%m%dT%H%M%S)
    git -C "$TREE" branch -q "$backup" HEAD
    [ -n "$dirty" ] && git -C "$TREE" stash -q &&
        say "uncommitted edits stashed ('git -C ${TREE#$TOP/} stash list')"
    say "old commits kept on branch $backup"
fi
[ $check_clean = yes ] && exit 0

say "re-applying the series to ${TREE#$TOP/}"
git -C "$TREE" checkout -q -B main "$BASE_TAG"
apply_series "$TREE"
say "${TREE#$TOP/}: base + $(series_files | wc -l) patches"
