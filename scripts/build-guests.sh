#!/usr/bin/env bash
# Build every guest into build/guests/<name>.wasm, as a validated component of world
# faaslab:host/experiment (wit/):
#   - Rust guest workspaces (guest-examples/rust, tests/guests/rust): one cdylib crate per
#     guest, directory name = crate name; wasm32-unknown-unknown, release, -Zbuild-std
#     with Debian's Rust, then `wasm-tools component new` (no WASI, no adapter);
#   - Python guests (guest-examples/python/<name>/app.py): componentize-py, skipped when
#     their inputs (the guest's files, wit/, componentize-py's version) are unchanged;
#     world `experiment` unless the guest's directory has a file `world` naming another
#     (e.g. `sampler`, a policy world of wit/policies.wit);
#   - C guests (guest-examples/c/<name>/*.c with a file `world`): bindings from
#     `wit-bindgen c`, compiled with zig's clang (PyPI `ziglang`) for wasm32-wasi as a
#     reactor, then `wasm-tools component new` (they must not call WASI: no adapter).
# The toolchain comes from scripts/install-toolchain.sh. Never uses the rustup toolchain.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/guests"
VENV="$ROOT/.toolchain/venv"
WASM_TOOLS="$VENV/bin/wasm-tools"
COMPONENTIZE_PY="$VENV/bin/componentize-py"
WIT_BINDGEN="$ROOT/.toolchain/cargo/bin/wit-bindgen"
TARGET=wasm32-unknown-unknown
RUST_WORKSPACES=(guest-examples/rust tests/guests/rust)

say() { echo "build-guests: $*"; }
die() { echo "build-guests: error: $*" >&2; exit 1; }

missing=()
for tool in /usr/bin/cargo /usr/bin/rustc /usr/bin/wasm-ld-22 /usr/lib/rustlib/src/rust/library/std \
    "$WASM_TOOLS" "$COMPONENTIZE_PY" "$WIT_BINDGEN" "$VENV/bin/python"; do
    [[ -e "$tool" ]] || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "guest toolchain missing (${missing[*]}): run scripts/install-toolchain.sh"
"$WASM_TOOLS" component wit "$ROOT/wit" >/dev/null || die "wit/ does not parse (see above)"

mkdir -p "$OUT"
guests=()

# Install $1 (a component) as $OUT/$2.wasm after validating it.
install_component() {
    "$WASM_TOOLS" validate "$1" || die "$2: component does not validate"
    mv -f "$1" "$OUT/$2.wasm"
}

# --- Rust -------------------------------------------------------------------------------
# One target dir for all guest workspaces: std is built once (same profile everywhere).
export CARGO_TARGET_DIR="$ROOT/target/wasm-guests"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
# Link with lld-22's wasm-ld by name: newer rustc-web builds no longer ship /usr/bin/rust-lld.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/bin/wasm-ld-22
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS RUSTC_WRAPPER CARGO_BUILD_TARGET
# wit_bindgen::generate! reads wit/ at compile time but cargo does not track it: when the
# WIT changes, rebuild the guest crates (not std) of every workspace.
mkdir -p "$OUT/.stamps"
wit_hash="$(cd "$ROOT/wit" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
wit_stamp="$OUT/.stamps/rust-wit.sha256"
if [[ ! -f "$wit_stamp" || "$(cat "$wit_stamp")" != "$wit_hash" ]]; then
    for workspace in "${RUST_WORKSPACES[@]}"; do
        for manifest in "$ROOT/$workspace"/*/Cargo.toml; do
            (cd "$ROOT/$workspace" && /usr/bin/cargo clean --release --target "$TARGET" \
                -p "$(basename "$(dirname "$manifest")")" 2>/dev/null) || true
        done
    done
fi
for workspace in "${RUST_WORKSPACES[@]}"; do
    say "cargo build $workspace"
    (cd "$ROOT/$workspace" &&
        /usr/bin/cargo build --release --target "$TARGET" -Zbuild-std=std,panic_abort) ||
        die "cargo build failed in $workspace"
    for manifest in "$ROOT/$workspace"/*/Cargo.toml; do
        name="$(basename "$(dirname "$manifest")")"
        module="$CARGO_TARGET_DIR/$TARGET/release/${name//-/_}.wasm"
        [[ -f "$module" ]] || die "$name: expected $module (is $name a cdylib member of $workspace?)"
        "$WASM_TOOLS" component new "$module" -o "$OUT/$name.wasm.tmp" || die "$name: wasm-tools component new failed"
        install_component "$OUT/$name.wasm.tmp" "$name"
        guests+=("$name")
    done
done

echo "$wit_hash" >"$wit_stamp"

# --- Python -----------------------------------------------------------------------------
inputs_hash() {
    {
        "$COMPONENTIZE_PY" --version
        (cd "$1" && find . -type f -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum)
        (cd "$ROOT/wit" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -d' ' -f1
}

mkdir -p "$OUT/.stamps"
for app in "$ROOT"/guest-examples/python/*/app.py "$ROOT"/tests/guests/python/*/app.py; do
    [[ -f "$app" ]] || continue
    dir="$(dirname "$app")"
    name="$(basename "$dir")"
    stamp="$OUT/.stamps/$name.sha256"
    hash="$(inputs_hash "$dir")"
    guests+=("$name")
    if [[ -f "$OUT/$name.wasm" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
        say "componentize-py $name: inputs unchanged, skipped"
        continue
    fi
    world=experiment
    [[ -f "$dir/world" ]] && world="$(tr -d '[:space:]' <"$dir/world")"
    say "componentize-py $name (world $world)"
    rm -f "$stamp"
    "$COMPONENTIZE_PY" -d "$ROOT/wit" -w "$world" componentize -p "$dir" app -o "$OUT/$name.wasm.tmp" ||
        die "$name: componentize-py failed"
    install_component "$OUT/$name.wasm.tmp" "$name"
    echo "$hash" >"$stamp"
done

# --- C ----------------------------------------------------------------------------------
# zig keeps its caches (wasi-libc is built once, ≈30 s) inside the repository.
export ZIG_GLOBAL_CACHE_DIR="$ROOT/target/zig-cache" ZIG_LOCAL_CACHE_DIR="$ROOT/target/zig-cache"
for world_file in "$ROOT"/guest-examples/c/*/world; do
    [[ -f "$world_file" ]] || continue
    dir="$(dirname "$world_file")"
    name="$(basename "$dir")"
    world="$(tr -d '[:space:]' <"$world_file")"
    stamp="$OUT/.stamps/c-$name.sha256"
    hash="$({ "$WIT_BINDGEN" --version; "$VENV/bin/python" -m ziglang version; echo "$(inputs_hash "$dir")"; } | sha256sum | cut -d' ' -f1)"
    guests+=("$name")
    if [[ -f "$OUT/$name.wasm" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
        say "C $name: inputs unchanged, skipped"
        continue
    fi
    say "C $name (world $world)"
    rm -f "$stamp"
    gen="$ROOT/target/c-guests/$name"
    rm -rf "$gen" && mkdir -p "$gen"
    "$WIT_BINDGEN" c "$ROOT/wit" --world "$world" --out-dir "$gen" >/dev/null || die "$name: wit-bindgen c failed"
    "$VENV/bin/python" -m ziglang cc --target=wasm32-wasi -mexec-model=reactor -Os -Wall -Werror \
        -I"$gen" -o "$gen/$name.core.wasm" "$dir"/*.c "$gen"/*.c "$gen"/*_component_type.o ||
        die "$name: C compilation failed"
    "$WASM_TOOLS" component new "$gen/$name.core.wasm" -o "$OUT/$name.wasm.tmp" ||
        die "$name: wasm-tools component new failed (a C guest must not call WASI functions)"
    install_component "$OUT/$name.wasm.tmp" "$name"
    echo "$hash" >"$stamp"
done

for name in "${guests[@]}"; do
    say "$(printf '%-20s %9d bytes' "$name.wasm" "$(stat -c %s "$OUT/$name.wasm")")"
done
say "ok: ${#guests[@]} components in build/guests/"
