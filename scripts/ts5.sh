#!/usr/bin/env bash
# The TypeScript 5 line: the fixture suite, in-process (test/fixtures.test.mjs) and through a real
# tspc (test/tspc.test.mjs), under TypeScript 5.9.3 with ts-patch 3.3.0. Those two are installed
# into .ci/ts5/ (gitignored) on first use, apart from the repo's own TypeScript 6 + ts-patch 4.
#
#   npm run test:ts5                 # or: bash scripts/ts5.sh [extra mocha arguments]
#   TA_TS5_DIR=/some/folder          # install elsewhere
#   TA_SKIP_BUILD=1                  # do not rebuild dist/ first (.ci/run: npm ci just built it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TS_VERSION=5.9.3
TSP_VERSION=3.3.0
mkdir -p "${TA_TS5_DIR:-.ci/ts5}"
DIR="$(cd "${TA_TS5_DIR:-.ci/ts5}" && pwd)"

installed() { node -p "require(process.argv[1]).version" "$DIR/node_modules/$1/package.json" 2>/dev/null || true; }
if [[ "$(installed typescript)" != "$TS_VERSION" || "$(installed ts-patch)" != "$TSP_VERSION" ]]; then
  echo "test:ts5: installing typescript@$TS_VERSION and ts-patch@$TSP_VERSION into $DIR"
  [[ -f "$DIR/package.json" ]] || echo '{ "private": true }' >"$DIR/package.json"
  npm install --prefix "$DIR" --save-exact --no-audit --no-fund --prefer-offline --loglevel warn \
    "typescript@$TS_VERSION" "ts-patch@$TSP_VERSION"
fi

# The suites load the plugin and the runtime from dist/: build them from the current sources.
if [[ "${TA_SKIP_BUILD:-}" != 1 || ! -f dist/transformer/index.js ]]; then
  npm run --silent build
fi

# --no-config: .mocharc.json's spec would add every other test file to the ones named here. These are
# the suites that compile with TA_TYPESCRIPT (the runtime, lifetimes, npm pack and two-package tests do not).
export TA_TYPESCRIPT="$DIR/node_modules/typescript"
export TA_TSPC="$DIR/node_modules/.bin/tspc"
exec node_modules/.bin/mocha --no-config --timeout 120000 --reporter spec \
  test/fixtures.test.mjs test/tspc.test.mjs test/track-caller.test.mjs test/positions.test.mjs test/transformer.test.mjs \
  test/realloc.test.mjs test/foreign.test.mjs test/resolution.test.mjs test/copies.test.mjs test/marks.test.mjs test/paths.test.mjs \
  test/corpus.test.mjs test/property.test.mjs test/assertions.test.mjs test/mocha-plugin.test.mjs test/backends.test.mjs "$@"
