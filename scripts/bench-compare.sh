#!/bin/sh
# Two nashr binaries on the same generated corpora, run alternately so that the machine's
# drift affects both alike: for a change that must not slow the build down.
#
#   scripts/bench-compare.sh OLD_BIN NEW_BIN [N ...]      (default N: 1000 10000)
#
# For each N, the bench corpus (`nashr_tests::corpus`, N articles in English and Persian) is
# generated once into tmpfs (/dev/shm/nashr-compare/<N>); then, ROUNDS times (default 7), each
# binary does a cold build (no output, no incremental state) and a rebuild with nothing
# changed, the binaries' order swapped every round. Prints the median and the minimum wall
# time of each, measured by GNU time, and checks the two outputs are identical.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OLD_BIN NEW_BIN [N ...]" >&2; exit 2; }
OLD=$(realpath "$1"); NEW=$(realpath "$2"); shift 2
SIZES=${*:-1000 10000}
ROUNDS=${ROUNDS:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=/dev/shm/nashr-compare
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "$0: needs GNU time (apt-get install time)" >&2; exit 2; }

# seconds of one run: cold (output and state removed first) or warm (as left).
run() { # bin corpus out kind
    if [ "$4" = cold ]; then rm -rf "$3" "$2/.nashr"; fi
    "$TIME" -f %e -o "$WORK/t" "$1" --root "$2" -q build --out "$3" >/dev/null 2>"$WORK/err" \
        || { cat "$WORK/err" >&2; exit 1; }
    cat "$WORK/t"
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
minimum() { sort -n | head -1; }

mkdir -p "$WORK"
for n in $SIZES; do
    corpus="$WORK/$n"
    if [ ! -f "$corpus/nashr.toml" ]; then
        rm -rf "$corpus"
        (cd "$ROOT" && cargo run --quiet --release -p nashr-tests --example corpus -- "$n" "$corpus" >/dev/null)
    fi
    : >"$WORK/old.cold"; : >"$WORK/new.cold"; : >"$WORK/old.warm"; : >"$WORK/new.warm"
    i=0
    while [ $i -lt "$ROUNDS" ]; do
        if [ $((i % 2)) -eq 0 ]; then order="old new"; else order="new old"; fi
        for side in $order; do
            if [ $side = old ]; then bin=$OLD; else bin=$NEW; fi
            run "$bin" "$corpus" "$WORK/out-$side" cold >>"$WORK/$side.cold"
            run "$bin" "$corpus" "$WORK/out-$side" warm >>"$WORK/$side.warm"
        done
        i=$((i + 1))
    done
    same=identical
    diff -r "$WORK/out-old" "$WORK/out-new" >/dev/null || same=DIFFERENT
    for kind in cold warm; do
        printf 'N=%s %-5s old: median %s s (min %s)   new: median %s s (min %s)\n' "$n" "$kind" \
            "$(median <"$WORK/old.$kind")" "$(minimum <"$WORK/old.$kind")" \
            "$(median <"$WORK/new.$kind")" "$(minimum <"$WORK/new.$kind")"
    done
    echo "N=$n outputs: $same ($ROUNDS rounds, alternating)"
    [ "$same" = identical ] || exit 1
done
