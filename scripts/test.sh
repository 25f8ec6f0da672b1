#!/usr/bin/env bash
# Run every test (unit, integration against a real PostgreSQL 15, CLI end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export INSTA_UPDATE=no
cargo test 2>&1
