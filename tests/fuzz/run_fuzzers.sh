#!/usr/bin/env bash
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Build the reader fuzz targets with clang + libFuzzer and run each for a while.
#
# usage: run_fuzzers.sh [SECONDS_PER_TARGET] [BUILD_DIR]
#   SECONDS_PER_TARGET  fuzzing time of each target (default 10: a CI smoke run)
#   BUILD_DIR           where to build (default: build-fuzz in the checkout)
# environment:
#   TFMED_FUZZ_TARGETS      the targets to run (default: all), space-separated
#   TFMED_DATA_DIR          shared data for seeds (default: ../shared/data beside
#                           the checkout); hand-made seeds only when it is absent
#   TFMED_FUZZ_KEEP_CORPUS  1: keep each target's corpus from earlier runs and add
#                           to it (long runs); default: a fresh copy of the seeds
#
# The targets run one after the other. Each gets -max_total_time=SECONDS
# -rss_limit_mb=2048 -timeout=10; a crash, sanitizer report, uncaught exception
# other than tfmed::io::ReadError, timeout or out-of-memory is a finding, saved
# under BUILD_DIR/run/<target>/artifacts/. The last line is "N passed, M failed"
# and the exit status is non-zero when M > 0.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-10}
build_dir=${2:-$root/build-fuzz}
data_dir=${TFMED_DATA_DIR:-$root/../shared/data}
all_targets="fuzz_wfdb_header fuzz_wfdb_signal fuzz_wfdb_annotation fuzz_edf fuzz_ts
fuzz_npy fuzz_csv fuzz_table_stream fuzz_model_file fuzz_card"
targets=${TFMED_FUZZ_TARGETS:-$all_targets}

case $seconds in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS_PER_TARGET] [BUILD_DIR]" >&2
    exit 2
    ;;
esac

# --- toolchain: clang with libFuzzer and the sanitizer runtimes --------------
have_libfuzzer() {
    command -v clang++ >/dev/null 2>&1 || return 1
    local tmp rc
    tmp=$(mktemp -d)
    printf '%s\n' 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*,' \
        'unsigned long) { return 0; }' >"$tmp/probe.cc"
    clang++ -fsanitize=fuzzer,address,undefined "$tmp/probe.cc" -o "$tmp/probe" \
        >/dev/null 2>&1
    rc=$?
    rm -rf "$tmp"
    return $rc
}

if ! have_libfuzzer; then
    echo "clang++ with libFuzzer not found: installing clang and libclang-rt-14-dev"
    sudo="" # as scripts/setup.sh: root, or sudo
    [ "$(id -u)" = 0 ] || sudo="sudo"
    if ! command -v apt-get >/dev/null 2>&1 || { [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; }; then
        echo "error: need apt-get (as root or through sudo) to install clang libclang-rt-14-dev" >&2
        exit 2
    fi
    pkgs="clang libclang-rt-14-dev"
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs ||
        { $sudo apt-get update &&
          $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs; } ||
        { echo "error: apt-get install $pkgs failed" >&2; exit 2; }
    if ! have_libfuzzer; then
        echo "error: clang++ still cannot link -fsanitize=fuzzer" >&2
        exit 2
    fi
fi

# --- build (also writes the seed corpora to BUILD_DIR/seeds) -----------------
mkdir -p "$build_dir"
cmake -S "$here" -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++ \
    -DTFMED_DATA_DIR="$data_dir" >"$build_dir/configure.log" 2>&1 ||
    { cat "$build_dir/configure.log"; echo "error: configure failed" >&2; exit 2; }
cmake --build "$build_dir" -j "$(nproc)" ||
    { echo "error: build failed" >&2; exit 2; }

# --- run ----------------------------------------------------------------------
passed=0
failed=0
summary=()
for t in $targets; do
    bin=$build_dir/$t
    work=$build_dir/run/$t
    if [ ! -x "$bin" ]; then
        summary+=("$t: not built, failed")
        failed=$((failed + 1))
        continue
    fi
    if [ "${TFMED_FUZZ_KEEP_CORPUS:-0}" != 1 ]; then
        rm -rf "$work/corpus"
    fi
    rm -rf "$work/artifacts"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp -R "$build_dir/seeds/$t/." "$work/corpus/"
    dict=()
    if [ -f "$here/$t.dict" ]; then
        dict=(-dict="$here/$t.dict")
    fi

    echo "=== $t: ${seconds}s"
    # In the background, to know its pid: the target's scratch folder
    # /tmp/tfmed_fuzz_<pid> stays behind when it dies on a finding.
    "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${dict[@]+"${dict[@]}"} \
        "$work/corpus" >"$work/log" 2>&1 &
    pid=$!
    wait "$pid"
    rc=$?
    rm -rf "/tmp/tfmed_fuzz_$pid"

    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$work/log" |
        tail -n 1)
    if [ -z "$runs" ]; then # died before the final statistics
        runs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$work/log" | tail -n 1)
    fi
    crashes=$(find "$work/artifacts" -type f | wc -l)
    if [ "$rc" != 0 ] && [ "$crashes" = 0 ]; then
        crashes=1 # a failure that left no input behind (e.g. it did not start)
    fi
    summary+=("$t: ${runs:-0} runs, $crashes crashes")
    if [ "$rc" = 0 ] && [ "$crashes" = 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "--- $t FAILED (exit status $rc); log: $work/log"
        grep -E 'ERROR|runtime error|terminate|SUMMARY|Test unit written|deadly' \
            "$work/log" | head -n 20
        for f in "$work"/artifacts/*; do
            [ -f "$f" ] && echo "crash input: $f (replay: $bin $f)"
        done
    fi
done

echo
for line in "${summary[@]}"; do
    echo "$line"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
