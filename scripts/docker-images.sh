#!/usr/bin/env bash
# Builds the local-docker images (Python base from debootstrap, run and build images)
# unless they exist: `faaslab images build` keeps images whose recipe hash matches and
# the debootstrap root filesystem tarball in the cache, so this takes a second when
# nothing changed. Skipped (with a note) when no Docker engine answers.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! docker info >/dev/null 2>&1; then
    echo "docker-images: no Docker engine; the local-docker tests will fail" >&2
    exit 0
fi
cargo run --quiet --bin faaslab -- images build
