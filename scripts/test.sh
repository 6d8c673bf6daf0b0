#!/usr/bin/env bash
# scripts/test.sh — the whole test run: setup, build, unit and integration tests, short fuzzing.
#
# Why: CI (.ci/run) and developers run exactly the same steps, so a green local run predicts a
# green CI run. Each step has a header, and the script stops at the first failing step with a
# non-zero exit code.
#
# Steps: setup, build, swift test (unit, end-to-end against the real binary), the OpenAPI
# contract (openapi-spec-validator, then schemathesis against a live zkgate), fuzzing.
# Usage: scripts/test.sh [swift test options...]
#   scripts/test.sh                      everything
#   scripts/test.sh --filter HTTP1       extra arguments go to `swift test`
# When scripts/fuzz.sh exists it runs afterwards with a 60-second budget (FUZZ_SECONDS
# overrides it; FUZZ_SECONDS=0 skips fuzzing).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
START=$SECONDS

section() {
    printf '\n==== %s ====\n' "$*"
}

# On any failure, name the step that failed (the tool's own output is just above).
STEP="startup"
on_exit() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        printf '\n==== FAILED: %s (exit %d) ====\n' "$STEP" "$rc" >&2
    fi
}
trap on_exit EXIT

STEP="setup"
section "setup: Debian packages"
bash scripts/setup.sh

STEP="build"
section "build: swift build --build-tests"
swift build --build-tests

STEP="test"
section "test: swift test${*:+ $*}"
swift test "$@"

STEP="openapi"
section "openapi: validate the contract, schemathesis against a live zkgate"
bash openapi/check.sh .build/debug/zkgate

if [[ -f scripts/fuzz.sh && "$FUZZ_SECONDS" != "0" ]]; then
    STEP="fuzz"
    section "fuzz: scripts/fuzz.sh $FUZZ_SECONDS"
    bash scripts/fuzz.sh "$FUZZ_SECONDS"
fi

section "all steps passed in $((SECONDS - START)) s"
