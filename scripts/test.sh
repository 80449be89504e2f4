#!/usr/bin/env bash
# The test command (README): makes sure the guest toolchain and guests are there
# (both steps are incremental and take seconds when nothing changed), then runs
# every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-toolchain.sh
bash scripts/build-guests.sh
bash scripts/docker-images.sh
# The guests' own unit tests run natively with Debian's Rust (the host toolchain may be older).
CARGO_TARGET_DIR=target/wasm-guests-native RUSTC=/usr/bin/rustc \
    /usr/bin/cargo test --quiet --manifest-path guest-examples/rust/Cargo.toml
cargo test --workspace --no-fail-fast -- --test-threads=2 "$@"
