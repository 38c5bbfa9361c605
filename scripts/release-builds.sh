#!/usr/bin/env bash
# The three release builds the later test steps load, one after the other: the npm package (pkg/web,
# pkg/bundler), the benchmark build (pkg/bench) and the dashboard (test-output/dist, Trunk). The test
# command runs this at the lowest CPU priority while the browser tests mostly wait on timers, with a
# target directory of its own under target/ so that it never holds the lock the tests' builds need.
# Writes test-output/release-builds.done when all three are built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="$ROOT/target/release-builds"
TOP="$ROOT/test-output"
mkdir -p "$TOP"
rm -f "$TOP/release-builds.done"
bash scripts/npm-build.sh
bash scripts/bench-build.sh
trunk build --release --dist "$TOP/dist"
touch "$TOP/release-builds.done"
