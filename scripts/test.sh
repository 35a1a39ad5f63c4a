#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs unit tests, the published
# vectors and (as root) the network-namespace integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
cd "${BUILD_DIR:-build}"
if [ "$(id -u)" -eq 0 ]; then
  ctest --output-on-failure -j"$(nproc)"
else
  echo "not root: skipping the network-namespace integration tests"
  ctest --output-on-failure -j"$(nproc)" -LE integration
fi
