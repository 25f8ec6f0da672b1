#!/usr/bin/env bash
# Install what pgspec needs on a fresh Debian machine: PostgreSQL 15 server + extensions that
# the seed documents use, libclang (pg_query's bindgen) and a C compiler. Idempotent; quiet when
# everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15 postgresql-contrib)
[ -e /usr/lib/postgresql/15/lib/pg_cron.so ] || need+=(postgresql-15-cron)
[ -e /usr/lib/postgresql/15/lib/plpgsql_check.so ] || need+=(postgresql-15-plpgsql-check)
# PostGIS: design documents of anything with a map (stores, deliveries) create it; a document
# that does is then built for real, not refused as an unavailable extension.
[ -e /usr/lib/postgresql/15/lib/postgis-3.so ] || need+=(postgresql-15-postgis-3)
# The other extensions Debian packages for PostgreSQL 15 that design documents use: pg_partman
# (partition maintenance), hypopg (hypothetical indexes), pgTAP (tests written in SQL).
[ -e /usr/lib/postgresql/15/lib/pg_partman_bgw.so ] || need+=(postgresql-15-partman)
[ -e /usr/lib/postgresql/15/lib/hypopg.so ] || need+=(postgresql-15-hypopg)
[ -e /usr/share/postgresql/15/extension/pgtap.control ] || need+=(postgresql-15-pgtap)
# bindgen (pg_query's build) needs libclang.so itself; libclang-cpp alone is not enough.
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need+=(libclang-dev)
command -v cc >/dev/null 2>&1 || need+=(build-essential)
# The private cluster's server runs in a bubblewrap sandbox (no network, read-only /) when
# bwrap is there; pgspec works without it and `pgspec cluster status` says so.
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
# `pgspec erd -o x.svg` and the report's ERD are laid out by Graphviz's dot.
command -v dot >/dev/null 2>&1 || need+=(graphviz)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Debian's postgresql-common would create and start a system cluster; pgspec runs its own.
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/pgspec.conf >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust (rustup) first" >&2
  exit 1
fi
