#!/usr/bin/env bash
# Consumers of the graph export (issue 11): Graphviz `dot`, and under node the Mermaid parser
# (mermaid + jsdom + dompurify) and the Neo4j Cypher language support. FalkorDB, NetworkX and
# rdflib come from the dev extra. Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v dot >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

# Project-local and git-ignored; tests find the packages here.
NODE_DIR=.ci/node
mkdir -p "$NODE_DIR"
[ -f "$NODE_DIR/package.json" ] || echo '{"name": "dab-ci-node", "private": true}' > "$NODE_DIR/package.json"
# The Neo4j language support publishes pre-releases only: pin one.
declare -A SPEC=(
  [mermaid]=mermaid
  [jsdom]=jsdom
  [dompurify]=dompurify
  [@neo4j-cypher/language-support]=@neo4j-cypher/language-support@2.0.0-next.38
)
missing=()
for pkg in "${!SPEC[@]}"; do
  [ -d "$NODE_DIR/node_modules/$pkg" ] || missing+=("${SPEC[$pkg]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent "${missing[@]}"
fi
