#!/usr/bin/env bash
# Build triaged and run every test: cmocka unit tests and the integration
# tests against a private redis-server.  BUILD_DIR and CMAKE_ARGS adjust it,
# e.g. CMAKE_ARGS=-DTRIAGED_SANITIZE=address,undefined BUILD_DIR=build-asan.
set -eu
cd "$(dirname "$0")/.."
tools/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DTRIAGED_WERROR=ON ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure "$@"
