#!/bin/sh
# Shows that two revisions of nashr produce byte-identical output, as a restructuring must:
#
#   scripts/same-output.sh BASE [NEW]      (or: make same-output BASE=<rev> [NEW=<rev>])
#
# BASE and NEW are git revisions; without NEW, the working tree (uncommitted changes included).
# Each side is its own revision in full: its `nashr` binary runs on its own copy of the sample
# project and on the bench corpus its own generator writes, so a changed template counts as a
# change of output just as changed code does.
#
#  1. Builds `nashr` (and the corpus generator, tests/examples/corpus.rs) of BASE in a temporary
#     `git worktree add --detach`, with CARGO_TARGET_DIR target/same-output/base; NEW likewise
#     (target/same-output/new), or the working tree into the usual target dir. A side needs a
#     target dir of its own: cargo's artefact hashes do not depend on where a workspace is, so
#     two checkouts sharing one would overwrite each other's crates. The worktrees go on exit;
#     the target dirs stay, so the next run only recompiles the workspace's crates, and the
#     first is seeded with the usual target dir's compiled dependencies (see `seed`).
#  2. The sample: a fresh copy of nashr.toml, content/, locales/, templates/ and static/ runs what
#     `make run` runs (`nashr run`, `subscribers import`, `newsletter render 2026-12`,
#     `newsletter send 2026-12`); compared: public/, publish/, outbox/ (the sent .eml files and
#     the previews in outbox/preview/) and locales/ (the catalogs `nashr run` updates).
#  3. The bench corpus, 1,000 articles per language: `nashr run` (build, then publish to the
#     folder target); compared: public/, publish/, locales/.
#  4. One line per comparison; on a difference, the first differing files and the start of the
#     first diff. Exit 0: all identical; 1: some output differs; 2: a build or run failed.
#
# The state store (.nashr/state.db) and the build caches in .nashr/ are not output: not compared.
#
# What is normalised, and only in the outbox's .eml files (the same binary run twice differs
# there and nowhere else):
#  - the `Date:` header, the wall-clock time the message was written, becomes `Date: (date)`;
#  - every MIME multipart boundary (40 random letters and digits per message, in
#    `boundary="..."` and in its `--...` delimiter lines) becomes `(boundary 1)`, `(boundary 2)`...
#    in order of appearance.
# Only values of exactly that shape are replaced (`Date: Tue, 08 Dec 2026 02:44:54 +0000`), so
# a change in how a date or a boundary is written is still a difference.
# Message-IDs, file names and unsubscribe tokens are deterministic: the tokens are HMACs with
# the key in NASHR_NEWSLETTER_KEY, which is set to the same public dummy value for every run.
#
# Environment of the runs: NASHR_STORE_URL and NASHR_LOG unset (each copy keeps its own SQLite
# store; nothing shared), NASHR_NEWSLETTER_KEY fixed, LC_ALL=C.
#
# Needs only git, cargo, sh, diff, sed (and cp, find). Two runs at once in one checkout clash.

set -eu

usage() {
    echo "usage: $0 BASE [NEW]   (git revisions; NEW defaults to the working tree)" >&2
    exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
[ -n "$1" ] || usage

# Optimised like release, without its whole-program link: the builds dominate the script's time.
PROFILE=quick-release
CORPUS_ARTICLES=1000
SAMPLE_ISSUE=2026-12

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
base_rev=$(git rev-parse --verify --quiet "$1^{commit}") || {
    echo "same-output: $1 is not a revision" >&2
    exit 2
}
new_rev=
if [ $# -eq 2 ]; then
    new_rev=$(git rev-parse --verify --quiet "$2^{commit}") || {
        echo "same-output: $2 is not a revision" >&2
        exit 2
    }
fi

target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
work=$target/same-output
runs=$work/runs
mkdir -p "$work"
# The run directories are kept until the next run, to look into after a difference.
rm -rf "$runs"
mkdir -p "$runs"

worktrees=
remove_worktrees() {
    for tree in $worktrees; do
        git -C "$repo" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
    done
    git -C "$repo" worktree prune
}
trap remove_worktrees EXIT
trap 'exit 2' INT TERM HUP

fail() {
    echo "same-output: $*" >&2
    exit 2
}

# add_worktree DIR REV: a detached checkout of REV at DIR (left over by a killed run: replaced).
add_worktree() {
    git -C "$repo" worktree remove --force "$1" 2>/dev/null || rm -rf "$1"
    git -C "$repo" worktree prune
    git -C "$repo" worktree add --quiet --detach "$1" "$2" || fail "cannot check out $2 into $1"
    worktrees="$worktrees $1"
}

# build SIDE TREE TARGET_DIR: the binary and the corpus generator of TREE, in one cargo call
# so they share the workspace's crates.
build() {
    echo "building $1 ($PROFILE)..."
    start=$(date +%s)
    (cd "$2" && CARGO_TARGET_DIR=$3 "${CARGO:-cargo}" build --quiet --profile "$PROFILE" \
        -p nashr --bin nashr -p nashr-tests --example corpus) || fail "building $1 failed"
    echo "built $1 in $(($(date +%s) - start)) s"
}

# seed TARGET_DIR: a side's first build starts from a copy of the usual target dir's compiled
# dependencies instead of compiling them all again (times kept: cargo compares them). The
# workspace's own crates (all named nashr*) lose their fingerprints, so cargo rebuilds every one
# of them from the side's sources whatever the files' times say.
seed() {
    [ ! -d "$1/$PROFILE" ] && [ -d "$target/$PROFILE/deps" ] || return 0
    echo "seeding $1 with the dependencies compiled in $target/$PROFILE..."
    mkdir -p "$1"
    rm -rf "$1/$PROFILE.seeding"
    cp -Rp "$target/$PROFILE" "$1/$PROFILE.seeding"
    rm -rf "$1/$PROFILE.seeding"/.fingerprint/nashr-* "$1/$PROFILE.seeding"/nashr \
        "$1/$PROFILE.seeding"/examples
    mv "$1/$PROFILE.seeding" "$1/$PROFILE"
}

# NEW first: its build fills the target dir BASE's first build is seeded from.
if [ -n "$new_rev" ]; then
    new_tree=$work/tree-new
    new_name="NEW $(git rev-parse --short "$new_rev")"
    add_worktree "$new_tree" "$new_rev"
    seed "$work/new"
    build "$new_name" "$new_tree" "$work/new"
    new_bin=$work/new/$PROFILE
else
    new_tree=$repo
    new_name="NEW (working tree)"
    build "$new_name" "$new_tree" "$target"
    new_bin=$target/$PROFILE
fi
base_tree=$work/tree-base
base_name="BASE $(git rev-parse --short "$base_rev")"
add_worktree "$base_tree" "$base_rev"
seed "$work/base"
build "$base_name" "$base_tree" "$work/base"
base_bin=$work/base/$PROFILE

export NASHR_NEWSLETTER_KEY="same-output: a public dummy key, the same for every run"
unset NASHR_STORE_URL NASHR_LOG
export LC_ALL=C

# nashr BIN DIR LOG ARGS...: one command in project DIR; its output goes to LOG, shown on failure.
nashr() {
    bin=$1 dir=$2 log=$3
    shift 3
    if ! (cd "$dir" && "$bin" --root "$dir" "$@") >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        fail "\`nashr $*\` failed in $dir (log: $log)"
    fi
}

# normalise_outbox DIR: the .eml files' Date header and MIME boundaries to placeholders.
rfc5322_date='[A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] [0-9]\{4\} [0-9][0-9]:[0-9][0-9]:[0-9][0-9] [-+][0-9]\{4\}'
random_boundary='[0-9A-Za-z]\{40\}'
normalise_outbox() {
    [ -d "$1" ] || return 0
    find "$1" -type f -name '*.eml' | while IFS= read -r eml; do
        # The header ends at the first empty line (CRLF: a lone \r).
        script="1,/^[[:cntrl:]]*\$/s/^Date: $rfc5322_date/Date: (date)/"
        n=0
        for boundary in $(sed -n "s/.*boundary=\"\($random_boundary\)\".*/\1/p" "$eml"); do
            n=$((n + 1))
            script="$script
s/$boundary/(boundary $n)/g"
        done
        sed "$script" "$eml" >"$eml.normalised"
        mv "$eml.normalised" "$eml"
    done
}

status=0
# compare NAME DIR_A DIR_B: one verdict line; on a difference the first files and diff lines.
compare() {
    if [ ! -e "$2" ] && [ ! -e "$3" ]; then
        echo "identical  $1 (produced by neither)"
        return 0
    fi
    if diff -r "$2" "$3" >"$runs/diff.out" 2>&1; then
        echo "identical  $1"
        return 0
    fi
    status=1
    echo "DIFFERENT  $1: $(diff -r -q "$2" "$3" | wc -l | tr -d ' ') files differ; the first:"
    diff -r -q "$2" "$3" | sed -n "s|$runs/||g; 1,10s/^/    /p"
    echo "    ---- start of the first difference:"
    sed -n "s|$runs/||g; 1,30s/^/    /p" "$runs/diff.out"
}

# The sample: what `make run` runs.
sample() {
    dir=$runs/sample-$1
    mkdir -p "$dir"
    for item in nashr.toml content locales templates static; do
        cp -R "$3/$item" "$dir/$item"
    done
    log=$runs/sample-$1.log
    nashr "$2" "$dir" "$log" run
    nashr "$2" "$dir" "$log" subscribers import content/newsletters/subscribers-sample.csv
    nashr "$2" "$dir" "$log" newsletter render "$SAMPLE_ISSUE"
    nashr "$2" "$dir" "$log" newsletter send "$SAMPLE_ISSUE"
    normalise_outbox "$dir/outbox"
}

# The bench corpus, written by the side's own generator: `nashr run`.
corpus() {
    dir=$runs/corpus-$1
    log=$runs/corpus-$1.log
    "$2/examples/corpus" "$CORPUS_ARTICLES" "$dir" >"$log" 2>&1 || {
        tail -n 20 "$log" >&2
        fail "generating the corpus for $1 failed (log: $log)"
    }
    nashr "$2/nashr" "$dir" "$log" run
}

start=$(date +%s)
sample base "$base_bin/nashr" "$base_tree"
sample new "$new_bin/nashr" "$new_tree"
for out in public publish outbox locales; do
    compare "sample $out/" "$runs/sample-base/$out" "$runs/sample-new/$out"
done
echo "sample runs and comparison: $(($(date +%s) - start)) s"

start=$(date +%s)
corpus base "$base_bin"
corpus new "$new_bin"
for out in public publish locales; do
    compare "corpus ($CORPUS_ARTICLES articles per language) $out/" "$runs/corpus-base/$out" "$runs/corpus-new/$out"
done
echo "corpus runs and comparison: $(($(date +%s) - start)) s"

if [ $status -eq 0 ]; then
    echo "same-output: $base_name and $new_name produce identical output"
else
    echo "same-output: $base_name and $new_name differ (run dirs: $runs)"
fi
exit $status
