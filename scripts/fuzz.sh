#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (library instrumented too) and runs each for
# FUZZ_SECONDS (default 60) from its checked-in seed corpus; FUZZ_OTHER_SECONDS, when set,
# shortens every target but the IKE message decoder (the one the CI budget must not cut).
# FUZZ_WITH_TESTS=1 also builds the unit tests in the same ASan+UBSan build and runs them
# first, so CI pays for one sanitizer build instead of two.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
WITH_TESTS=${FUZZ_WITH_TESTS:-0}
tests=OFF
[ "$WITH_TESTS" = 1 ] && tests=ON
generator=()
if [ ! -e "$BUILD_DIR/CMakeCache.txt" ] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
CXX=clang++ cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DPORTUNUS_FUZZERS=ON \
  -DPORTUNUS_TESTS="$tests" -DPORTUNUS_BENCHMARKS=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" >/dev/null
targets=()
for src in fuzz/*_fuzz.cpp; do
  [ -e "$src" ] || continue
  targets+=("$(basename "$src" .cpp)")
done
if [ "$WITH_TESTS" = 1 ]; then
  cmake --build "$BUILD_DIR" -j"$(nproc)"
  (cd "$BUILD_DIR" && ctest --output-on-failure -j"$(nproc)" -LE integration)
fi
((${#targets[@]})) || { echo "no fuzz targets"; exit 0; }
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/${t%_fuzz}
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  seconds=$SECONDS_EACH
  [ "$t" = ike_message_fuzz ] || seconds=${FUZZ_OTHER_SECONDS:-$SECONDS_EACH}
  echo "fuzzing $t for ${seconds}s"
  "$BUILD_DIR/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 "$work" 2>&1 | tail -n 12
  rm -rf "$work"
done
