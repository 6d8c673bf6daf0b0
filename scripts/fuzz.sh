#!/usr/bin/env bash
# scripts/fuzz.sh — build the HTTP/1.1 request parser fuzzer and run it for a while.
#
# Why: the parser faces untrusted bytes cut at arbitrary points; libFuzzer with AddressSanitizer
# looks for inputs where the result depends on the cut, where the caller contract breaks, or
# where memory is misused. HTTPCore is pure Swift, so it is compiled straight from its sources
# together with fuzz/HTTP1ParserFuzz.swift as one module, without SwiftPM.
#
# Usage: scripts/fuzz.sh [SECONDS]     (default 60)
#   FUZZ_ARGS="-seed=1" scripts/fuzz.sh  extra libFuzzer options
#
# Output goes to .build-fuzz/: the binary, corpus-run/ (the seeds of fuzz/corpus plus what the
# fuzzer found, kept between runs), artifacts/ (crashing inputs) and fuzz.log. Exits non-zero
# when the fuzzer finds a crash, printing the input and how to replay it. Needs no terminal.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_BUDGET="${1:-60}"
if ! [[ "$SECONDS_BUDGET" =~ ^[0-9]+$ ]] || [[ "$SECONDS_BUDGET" -eq 0 ]]; then
    echo "fuzz: SECONDS must be a positive integer, not '$SECONDS_BUDGET'" >&2
    exit 2
fi

OUT=.build-fuzz
BIN="$OUT/http1-parser-fuzz"
# Artifacts of earlier runs would be reported as this run's; the corpus is kept.
rm -rf "$OUT/artifacts"
mkdir -p "$OUT/corpus-run" "$OUT/artifacts"

flags=(-O -sanitize=fuzzer,address -parse-as-library -module-name HTTPCore)

echo "fuzz: building $BIN"
# The linker's warnings about ASan symbols are noise; show the log only when the build fails.
if ! swiftc "${flags[@]}" Sources/HTTPCore/*.swift fuzz/HTTP1ParserFuzz.swift -o "$BIN" >"$OUT/build.log" 2>&1; then
    cat "$OUT/build.log" >&2
    echo "fuzz: build failed" >&2
    exit 1
fi

# Seeds are copied in each run (the fuzzer may have minimised its own copies away).
cp fuzz/corpus/* "$OUT/corpus-run/"

echo "fuzz: running for ${SECONDS_BUDGET}s on $(find "$OUT/corpus-run" -type f | wc -l) corpus files"
rc=0
# Swift's own crash backtracer trips ASan when it walks the stack; libFuzzer reports the crash.
# shellcheck disable=SC2086  # FUZZ_ARGS is a list of options
SWIFT_BACKTRACE=enable=no "$BIN" \
    -max_total_time="$SECONDS_BUDGET" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
    -dict=fuzz/http1.dict -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 \
    ${FUZZ_ARGS:-} "$OUT/corpus-run" </dev/null >"$OUT/fuzz.log" 2>&1 || rc=$?

done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$OUT/fuzz.log" | tail -1 || true)
runs=$(grep -E '^stat::number_of_executed_units:' "$OUT/fuzz.log" | awk '{print $2}' || true)
echo "fuzz: ${done_line:-no DONE line}"
echo "fuzz: ${runs:-?} inputs executed"

if [[ $rc -ne 0 ]]; then
    echo "fuzz: FAILED (exit $rc); from $OUT/fuzz.log:" >&2
    grep -E -A3 'Fatal error|ERROR: (AddressSanitizer|libFuzzer)' "$OUT/fuzz.log" | head -30 >&2
    for artifact in "$OUT"/artifacts/*; do
        [[ -f "$artifact" ]] || continue
        echo "fuzz: crashing input $artifact (replay: $BIN $artifact):" >&2
        od -c "$artifact" | head -20 >&2
    done
    exit "$rc"
fi
echo "fuzz: no crash"
