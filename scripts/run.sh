#!/usr/bin/env bash
# scripts/run.sh — build zkgate (release) and run it in the foreground.
#
# Why: one command that works on a fresh machine: it installs what the build needs
# (scripts/setup.sh --run: the build's packages, none of the test tools), builds the release
# binary, then replaces itself with the server so that signals (Ctrl-C, SIGTERM) reach zkgate
# directly and it shuts down gracefully.
#
# Usage: scripts/run.sh [serve options...]
#   scripts/run.sh --listen 127.0.0.1:8080 --access-log -
# Every argument is passed to `zkgate serve`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh --run
swift build -c release --product zkgate
exec .build/release/zkgate serve "$@"
