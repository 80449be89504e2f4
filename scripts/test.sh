#!/usr/bin/env bash
# The test command (README): makes sure the guest toolchain and guests are there
# (both steps are incremental and take seconds when nothing changed), then runs
# every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-toolchain.sh
bash scripts/build-guests.sh
bash scripts/docker-images.sh
# The guest workspaces stay formatted. Their crates are edition 2024; the files are
# named one by one because `shared/host_call.rs` is include!d, which `cargo fmt` skips.
rustfmt --check --edition 2024 \
    guest-examples/faaslab-manifest/src/lib.rs \
    guest-examples/rust/*/src/lib.rs \
    guest-examples/rust/shared/*.rs
# The guests' own unit tests run natively with Debian's Rust (the host toolchain may be older).
CARGO_TARGET_DIR=target/wasm-guests-native RUSTC=/usr/bin/rustc \
    /usr/bin/cargo test --quiet --manifest-path guest-examples/rust/Cargo.toml
cargo test --workspace --no-fail-fast -- --test-threads=2 "$@"
