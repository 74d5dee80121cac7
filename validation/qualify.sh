#!/usr/bin/env bash
# Qualify ddf on this machine in one command (docs/validation.md): run the whole test suite once
# to JUnit, import the results into the tool-validation DDF (validation/), check it, and write the
# validation report. Exit code 0 when every high-risk requirement is verified on this commit and
# `ddf check -C validation` finds no error; otherwise the exit code of the first step that failed
# (the report is written all the same).
#
#   validation/qualify.sh [OUT_DIR]     # default OUT_DIR: target/qualification
#
# Needs: git, a Rust toolchain, cargo-nextest (`cargo install --locked cargo-nextest`), and the
# tools the test suite uses (ssh-keygen; chromium, node and pdftotext for the site tests: with
# CI=true, the default here, a test whose tool is missing fails rather than skips).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/qualification}"
export CI="${CI:-true}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
target="${CARGO_TARGET_DIR:-target}"
# cargo-nextest keeps its reports under the workspace's target/nextest, whatever CARGO_TARGET_DIR.
junit=target/nextest/ci/junit.xml

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "qualify: cargo-nextest is missing; install it with: cargo install --locked cargo-nextest" >&2
  exit 2
fi

echo "== build"
cargo build --locked --quiet || exit 2
ddf="$target/debug/ddf"

echo "== the whole test suite, once, to JUnit ($junit)"
cargo nextest run --locked --profile ci --no-fail-fast
tests=$?

echo "== cargo test --doc"
cargo test --locked --doc --quiet
doc=$?

# The results go into the VERs of validation/ in this working tree, as of the commit checked out.
echo "== ddf verify import"
"$ddf" -C validation verify import "$junit" --baseline HEAD
import=$?

echo "== ddf check -C validation"
"$ddf" -C validation check
check=$?

echo "== ddf validation-report"
mkdir -p "$out"
"$ddf" -C validation validation-report --force \
  --out "$out/validation-report.md" --html "$out/validation-report.html"
report=$?

for s in $tests $doc $import $check $report; do
  if [ "$s" -ne 0 ]; then
    echo "qualify: NOT qualified (tests $tests, doctests $doc, import $import, check $check, report $report); see $out/validation-report.md" >&2
    exit "$s"
  fi
done
echo "qualify: qualified on $(git rev-parse HEAD); the report is $out/validation-report.md and .html"
