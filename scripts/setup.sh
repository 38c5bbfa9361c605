#!/usr/bin/env bash
# Installs everything the run and test commands need, idempotently, on a fresh Debian machine of
# this kind: Debian packages, the wasm32 target, wasm-bindgen-cli (the locked version), wasm-pack,
# trunk 0.21.14 and the npm dev dependencies (binaryen's wasm-opt, playwright-core).
# Source it (`. scripts/setup.sh`) to get PATH set as well.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

apt_packages=(mosquitto mosquitto-clients chromium chromium-driver python3 websockify rabbitmq-server)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  say "apt-get install ${missing[*]}"
  # Debian starts the services it installs (rabbitmq-server on every interface); the tests start
  # their own on loopback, so no service may start here: policy-rc.d says so while apt runs.
  policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  [[ -z "$policy" ]] || rm -f /usr/sbin/policy-rc.d
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly. No --locked: one of its
# locked dependencies is gone from the registry.
wbg_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' "$ROOT/Cargo.lock")
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wbg_version" ]]; then
  say "cargo install wasm-bindgen-cli $wbg_version (about 4 minutes)"
  cargo install wasm-bindgen-cli --version "$wbg_version" --force
fi

if ! command -v wasm-pack >/dev/null; then
  say "cargo install wasm-pack (about 4 minutes)"
  cargo install wasm-pack
fi

# Trunk 0.22 needs a newer rustc than this machine's; 0.21.14 builds only with --locked.
if [[ "$(trunk --version 2>/dev/null || true)" != "trunk 0.21.14" ]]; then
  say "cargo install trunk 0.21.14 (10-14 minutes)"
  cargo install trunk --version 0.21.14 --locked --force
fi

if [[ ! -x "$ROOT/node_modules/.bin/wasm-opt" || ! -d "$ROOT/node_modules/playwright-core" || ! -d "$ROOT/node_modules/aedes" ]]; then
  say "npm ci (binaryen, playwright-core, aedes)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi
