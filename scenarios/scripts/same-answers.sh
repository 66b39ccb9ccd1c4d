#!/usr/bin/env bash
# Shows that two revisions of the twin give the same answers: builds `twin` at each revision (in
# a git worktree beside this clone, sharing one target directory so dependencies build once),
# runs the built-in demo with each, and compares the run directories file by file.
#
#   scenarios/scripts/same-answers.sh BEFORE [AFTER]      (AFTER defaults to the working tree)
#
# `summary.json` and `kpis/network.csv` must be byte-identical (exit 1 otherwise); every other
# file of the run directory is listed as identical or different (the manifest holds timings and
# the report embeds them, so those two always differ). Needs about two release builds of time.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
before="${1:?usage: same-answers.sh BEFORE [AFTER]}"
after="${2:-}"
work="${SAME_ANSWERS_DIR:-${TMPDIR:-/tmp}/twin-same-answers}"
target="${CARGO_TARGET_DIR:-$work/target}"
mkdir -p "$work"

# Builds revision $1 (empty: the working tree) and runs its demo into $work/$2.
run_rev() {
    local rev="$1" name="$2" src
    if [ -z "$rev" ]; then
        src="$repo"
    else
        src="$work/src-$name"
        rm -rf "$src"
        git -C "$repo" worktree prune
        git -C "$repo" worktree add --detach "$src" "$rev" >/dev/null
    fi
    echo "== $name: $( [ -z "$rev" ] && echo "working tree" || git -C "$repo" rev-parse --short "$rev")" >&2
    (cd "$src" && CARGO_TARGET_DIR="$target" cargo build --release --bin twin -q)
    cp "$target/release/twin" "$work/twin-$name"
    rm -rf "$work/demo-$name"
    # The demo's scenario files live beside the run; the run directory is demo-$name/run.
    (cd "$work" && "$work/twin-$name" demo --dir "demo-$name" >"$work/stdout-$name.txt")
    if [ -n "$rev" ]; then git -C "$repo" worktree remove --force "$src"; fi
}

run_rev "$before" before
run_rev "$after" after

status=0
cd "$work"
for f in $(cd demo-before/run && find . -type f | sort); do
    if cmp -s "demo-before/run/$f" "demo-after/run/$f"; then
        echo "identical  $f"
    else
        echo "DIFFERENT  $f"
        case "$f" in ./summary.json | ./kpis/network.csv) status=1 ;; esac
    fi
done
for f in $(cd demo-after/run && find . -type f | sort); do
    [ -e "demo-before/run/$f" ] || echo "only after $f"
done
if [ "$status" = 0 ]; then
    echo "summary.json and kpis/network.csv are byte-identical"
else
    echo "summary.json or kpis/network.csv differ" >&2
fi
exit "$status"
