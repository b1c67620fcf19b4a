#!/usr/bin/env bash
# Refresh the JavaScript the web console vendors (not needed to run or test dab: the result is
# committed under src/dab/api/console/static/vendor/). Needs npm and the npm registry.
#   bash scripts/vendor-console-js.sh [DAGRE_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-3.1.3}"
out=src/dab/api/console/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm install --silent --no-audit --no-fund --prefix "$work" "@dagrejs/dagre@${version}" >/dev/null
dist="$work/node_modules/@dagrejs/dagre/dist"
# The browser build (a global `dagre`, graphlib included), without its source-map comment so
# the browser never asks the server for a file that is not shipped.
sed '/^\/\/# sourceMappingURL=/d' "$dist/dagre.min.js" > "$out/dagre.min.js"
{
  echo "@dagrejs/dagre ${version} (https://github.com/dagrejs/dagre), MIT licence:"
  echo
  cat "$work/node_modules/@dagrejs/dagre/LICENSE"
  echo
  echo "Bundled notices:"
  cat "$dist/dagre.min.js.LEGAL.txt"
} > "$out/dagre.LICENSE.txt"
echo "vendored @dagrejs/dagre ${version} into $out"
