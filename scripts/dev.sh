#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for migsim and builds it (Release), then
#   scripts/dev.sh demo [migsim demo options]   runs the zero-argument demo
#   scripts/dev.sh test [ctest options]         runs the whole test suite
#   scripts/dev.sh build                        only installs and builds
# (test also builds the libFuzzer target into build-fuzz/)
# Works as root and as a normal user with sudo. Missing Debian packages are
# installed non-interactively (apt-get update first); nothing else is needed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MIGSIM_BUILD_DIR:-$ROOT/build}
PACKAGES=(cmake g++ make pkg-config libpqxx-dev libpq-dev libpg-query-dev libprotobuf-c-dev libeigen3-dev
          libboost-program-options-dev nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev
          googletest libbenchmark-dev postgresql-15 clang libclang-rt-14-dev
          python3-jsonschema libxml2-utils chromium)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "migsim: installing ${missing[*]}" >&2
  if [ "${CI:-}" = "true" ] && [ ! -e /etc/postgresql-common/createcluster.d/migsim-no-main.conf ]; then
    # CI never uses the package's own "main" cluster: do not create and start it.
    as_root mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = false' | as_root tee /etc/postgresql-common/createcluster.d/migsim-no-main.conf >/dev/null
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMIGSIM_WERROR=ON >/dev/null
  cmake --build "$BUILD" -j"$(nproc)"
}

# The libFuzzer target needs clang; it is built with the tests, run by hand
# (see README).
build_fuzz() {
  cmake -S "$ROOT/tests/fuzz" -B "$BUILD-fuzz" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build "$BUILD-fuzz" -j"$(nproc)"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) install_deps; build ;;
  demo)  install_deps; build; exec "$BUILD/migsim" demo "$@" ;;
  test)  install_deps; build; build_fuzz; cd "$BUILD" && exec ctest --output-on-failure "$@" ;;
  *) echo "usage: scripts/dev.sh demo|test|build [options]" >&2; exit 2 ;;
esac
