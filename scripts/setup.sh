#!/usr/bin/env bash
# Installs what feedd needs from Debian's packages (idempotent, quiet when all is there),
# then configures and builds it with CMake + Ninja into build/.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libcurl4-openssl-dev libpugixml-dev libsqlite3-dev libboost-dev
  libspdlog-dev catch2 libtomlplusplus-dev nlohmann-json3-dev
  libsystemd-dev zlib1g-dev libssl-dev libxml2-dev libxxhash-dev
  clang-14 libclang-rt-14-dev
  python3
  python3-feedparser libxml2-utils   # tests/feed_validity_test.cpp, tests/differential/
  sfeed                              # bench/parse.sh
  wrk bc   # bench/render.sh (serving)
  nginx-light newsboat curl   # bench/fetch.sh only
  chromium   # tests/service_http_test.cpp renders the status page headless
  postgresql libpq-dev   # the PostgreSQL store (libpq); tests start a throw-away cluster
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "${1:-}" = "--no-build" ] && exit 0

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
fi
cmake --build build -j2
