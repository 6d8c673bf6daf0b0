#!/usr/bin/env bash
# scripts/fuzz.sh — build the parser fuzzers (HTTP/1.1 requests, JSON) and run each for a while.
#
# Why: the parsers face untrusted bytes. libFuzzer with AddressSanitizer looks for inputs where
# memory is misused or an invariant breaks: for HTTP/1.1, where the result depends on where TCP
# cuts the request or the caller contract breaks; for JSON, where a document read does not
# write back to itself or the limits (JSONParser.Limits) are not kept. HTTPCore and JSON are
# pure Swift, so each is compiled straight from its sources together with its harness
# (fuzz/HTTP1ParserFuzz.swift, fuzz/JSONParserFuzz.swift) as one module, without SwiftPM.
#
# Usage: scripts/fuzz.sh [SECONDS]     (default 60, split between the two targets)
#   FUZZ_ARGS="-seed=1" scripts/fuzz.sh  extra libFuzzer options, for both targets
#
# Output goes to .build-fuzz/: per target (http1, json) the binary <target>-parser-fuzz,
# corpus-run/<target>/ (the seeds of fuzz/corpus or fuzz/corpus-json plus what the fuzzer
# found, kept between runs), artifacts/<target>/ (crashing inputs) and <target>.log. Both
# targets run even when the first finds a crash; exits non-zero when either does, printing the
# input and how to replay it. Needs no terminal.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_BUDGET="${1:-60}"
if ! [[ "$SECONDS_BUDGET" =~ ^[0-9]+$ ]] || [[ "$SECONDS_BUDGET" -eq 0 ]]; then
    echo "fuzz: SECONDS must be a positive integer, not '$SECONDS_BUDGET'" >&2
    exit 2
fi
# Half each; a budget of 1 gives each target 1 second.
HTTP1_SECONDS=$(( (SECONDS_BUDGET + 1) / 2 ))
JSON_SECONDS=$(( SECONDS_BUDGET / 2 > 0 ? SECONDS_BUDGET / 2 : 1 ))

OUT=.build-fuzz
# Artifacts of earlier runs would be reported as this run's; the corpus is kept.
rm -rf "$OUT/artifacts"
mkdir -p "$OUT"

# fuzz_target NAME MODULE SOURCES_DIR HARNESS SEEDS DICT MAX_LEN SECONDS
fuzz_target() {
    local name=$1 module=$2 sources=$3 harness=$4 seeds=$5 dict=$6 max_len=$7 seconds=$8
    local bin="$OUT/$name-parser-fuzz" corpus="$OUT/corpus-run/$name" artifacts="$OUT/artifacts/$name/" log="$OUT/$name.log"
    mkdir -p "$corpus" "$artifacts"

    echo "fuzz[$name]: building $bin"
    # The linker's warnings about ASan symbols are noise; show the log only when the build fails.
    if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "$module" \
        "$sources"/*.swift "$harness" -o "$bin" >"$OUT/$name-build.log" 2>&1; then
        cat "$OUT/$name-build.log" >&2
        echo "fuzz[$name]: build failed" >&2
        return 1
    fi

    # Seeds are copied in each run (the fuzzer may have minimised its own copies away).
    cp "$seeds"/* "$corpus/"

    echo "fuzz[$name]: running for ${seconds}s on $(find "$corpus" -type f | wc -l) corpus files"
    local rc=0
    # Swift's own crash backtracer trips ASan when it walks the stack; libFuzzer reports the crash.
    # shellcheck disable=SC2086  # FUZZ_ARGS is a list of options
    SWIFT_BACKTRACE=enable=no "$bin" \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=4096 \
        -dict="$dict" -artifact_prefix="$artifacts" -print_final_stats=1 \
        ${FUZZ_ARGS:-} "$corpus" </dev/null >"$log" 2>&1 || rc=$?

    local done_line runs
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    runs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' || true)
    echo "fuzz[$name]: ${done_line:-no DONE line}"
    echo "fuzz[$name]: ${runs:-?} inputs executed"

    if [[ $rc -ne 0 ]]; then
        echo "fuzz[$name]: FAILED (exit $rc); from $log:" >&2
        grep -E -A3 'Fatal error|ERROR: (AddressSanitizer|libFuzzer)' "$log" | head -30 >&2
        for artifact in "$artifacts"*; do
            [[ -f "$artifact" ]] || continue
            echo "fuzz[$name]: crashing input $artifact (replay: $bin $artifact):" >&2
            od -c "$artifact" | head -20 >&2
        done
        return "$rc"
    fi
    echo "fuzz[$name]: no crash"
}

status=0
fuzz_target http1 HTTPCore Sources/HTTPCore fuzz/HTTP1ParserFuzz.swift fuzz/corpus fuzz/http1.dict 4096 "$HTTP1_SECONDS" || status=$?
fuzz_target json JSON Sources/JSON fuzz/JSONParserFuzz.swift fuzz/corpus-json fuzz/json.dict 4096 "$JSON_SECONDS" || status=$?
if [[ $status -ne 0 ]]; then
    echo "fuzz: FAILED" >&2
    exit "$status"
fi
echo "fuzz: no crash"
