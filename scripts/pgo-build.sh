#!/bin/sh
# Builds target/pgo/nashr: the release binary, optimised with a profile of its own work
# (profile-guided optimisation, as rustc, Firefox and Chromium are built). `make release` and
# `make bench` use it; `make bench` measures it beside the plain release build (BENCHMARKS.md).
#
#   1. an instrumented release build counts which branches and calls the build takes;
#   2. it builds a generated project of 1,000 articles per language (cold, nothing changed,
#      one Persian paragraph, one template) and the sample clinic project, and checks and
#      lints their translations;
#   3. the release build is made again with those counts (-Cprofile-use).
#
# The training project is generated with 1,000 articles, not the 10,000 the bench measures.
# Needs llvm-profdata of rustc's LLVM version: rustup's llvm-tools component, or else Debian's
# llvm-<version> package. About three times as long as `cargo build --release`.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
work="$repo/target/pgo"
profiles="$work/profiles"

llvm=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
    rustup component add llvm-tools >/dev/null 2>&1 || true
fi
if [ ! -x "$profdata" ]; then
    # The profile format follows LLVM's major version: only the same major can read it.
    profdata="/usr/lib/llvm-$llvm/bin/llvm-profdata"
    if [ ! -x "$profdata" ]; then
        echo "installing llvm-$llvm from Debian for llvm-profdata" >&2
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "llvm-$llvm" >/dev/null
    fi
fi

# 1. Instrumented (its own target directory: other flags would rebuild target/release).
rm -rf "$profiles"
mkdir -p "$profiles"
echo "pgo: instrumented build" >&2
RUSTFLAGS="-Cprofile-generate=$profiles" \
    cargo build --release --quiet -p nashr --target-dir "$work/instrumented"
nashr="$work/instrumented/release/nashr"

# 2. Training.
echo "pgo: training" >&2
train="$work/train"
rm -rf "$train" "$work/sample"
cargo run --release --quiet -p nashr-tests --example corpus -- 1000 "$train" >/dev/null
"$nashr" --root "$train" -q build --full
"$nashr" --root "$train" -q build
# One Persian paragraph: a word before the first paragraph of one article's translation.
sed -i 's/^intro-p1 = /intro-p1 = تمرین /' "$train/locales/fa/articles/article-00003.ftl"
"$nashr" --root "$train" -q build
sed -i 's/<article class="article"/<article data-pgo="1" class="article"/' "$train/templates/article.html"
"$nashr" --root "$train" -q build
"$nashr" --root "$train" -q l10n status >/dev/null
"$nashr" --root "$train" -q l10n lint >/dev/null || true
mkdir -p "$work/sample"
cp -r content locales static templates nashr.toml "$work/sample/"
"$nashr" --root "$work/sample" -q run
"$nashr" --root "$work/sample" -q l10n status >/dev/null
"$nashr" --root "$work/sample" -q newsletter render 2026-12 >/dev/null
"$profdata" merge -o "$work/nashr.profdata" "$profiles"

# 3. Optimised with the profile.
echo "pgo: optimised build" >&2
RUSTFLAGS="-Cprofile-use=$work/nashr.profdata" \
    cargo build --release --quiet -p nashr --target-dir "$work/optimised"
cp "$work/optimised/release/nashr" "$work/nashr"
echo "pgo: $work/nashr" >&2
