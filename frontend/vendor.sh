#!/usr/bin/env bash
# Re-vendor Tandem's pinned front-end files (no Node is needed at run time).
#
#   bash frontend/vendor.sh          # from the repo root, or from anywhere
#
# 1. `npm ci` in frontend/ (versions pinned exactly in package.json and
#    package-lock.json; works when frontend/node_modules is absent);
# 2. compiles frontend/tandem-govuk.scss with sass;
# 3. copies the files below into the app and the browser tests;
# 4. writes app/static/vendor/CHECKSUMS.sha256 (paths relative to the repo
#    root; check with `sha256sum -c app/static/vendor/CHECKSUMS.sha256`).
#
# app/static/vendor/govuk-frontend/ and app/static/vendor/htmx/ are owned by
# this script and are emptied before copying; in tests/e2e/vendor/ only the
# axe-core files are replaced.
set -euo pipefail

FRONTEND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$FRONTEND_DIR/.." && pwd)"
NM="$FRONTEND_DIR/node_modules"

GOVUK_OUT="app/static/vendor/govuk-frontend"
HTMX_OUT="app/static/vendor/htmx"
AXE_OUT="tests/e2e/vendor"
CHECKSUMS="app/static/vendor/CHECKSUMS.sha256"

command -v node >/dev/null || { echo "vendor.sh: node is required (>= 20.19)" >&2; exit 1; }
command -v npm >/dev/null || { echo "vendor.sh: npm is required" >&2; exit 1; }

echo "==> npm ci (frontend/)"
# --ignore-scripts: none of these packages needs an install script.
# --omit=optional: sass's optional file watcher is not used here.
(cd "$FRONTEND_DIR" && npm ci --ignore-scripts --omit=optional --no-audit --no-fund)

# Refuse to vendor anything other than the pinned versions.
pkg_version() { node -p "require('$NM/$1/package.json').version"; }
want_version() { node -p "require('$FRONTEND_DIR/package.json').devDependencies['$1']"; }
for pkg in govuk-frontend htmx.org axe-core sass; do
  have="$(pkg_version "$pkg")"; want="$(want_version "$pkg")"
  if [[ "$have" != "$want" ]]; then
    echo "vendor.sh: $pkg is $have, package.json pins $want" >&2
    exit 1
  fi
  echo "    $pkg $have"
done

cd "$ROOT"
rm -rf "$GOVUK_OUT" "$HTMX_OUT"
mkdir -p "$GOVUK_OUT" "$HTMX_OUT" "$AXE_OUT"

echo "==> sass frontend/tandem-govuk.scss -> $GOVUK_OUT/tandem-govuk.min.css"
"$NM/.bin/sass" \
  --load-path="$NM" \
  --style=compressed \
  --no-source-map \
  "frontend/tandem-govuk.scss" "$GOVUK_OUT/tandem-govuk.min.css"

# The stylesheet must not load GDS Transport or point at any file.
if grep -q "GDS Transport" "$GOVUK_OUT/tandem-govuk.min.css"; then
  echo "vendor.sh: compiled CSS still mentions GDS Transport" >&2; exit 1
fi
if grep -q "url(" "$GOVUK_OUT/tandem-govuk.min.css"; then
  echo "vendor.sh: compiled CSS contains url(); vendor the files it needs" >&2
  grep -o "url([^)]*)" "$GOVUK_OUT/tandem-govuk.min.css" >&2; exit 1
fi

echo "==> copying files"
GOVUK_DIST="$NM/govuk-frontend/dist/govuk"
cp "$GOVUK_DIST/govuk-frontend.min.js" "$GOVUK_OUT/govuk-frontend.min.js"
# The .js ends with a sourceMappingURL comment; ship the map it names.
cp "$GOVUK_DIST/govuk-frontend.min.js.map" "$GOVUK_OUT/govuk-frontend.min.js.map"
# The govuk-frontend npm package ships no licence file (its package.json says
# "license": "MIT"); this is LICENSE.txt from the alphagov/govuk-frontend
# repository. Fonts and images are under other licences and are not vendored.
cat > "$GOVUK_OUT/LICENSE.txt" <<'EOF'
The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF

cp "$NM/htmx.org/dist/htmx.min.js" "$HTMX_OUT/htmx.min.js"
cp "$NM/htmx.org/LICENSE" "$HTMX_OUT/LICENSE"

cp "$NM/axe-core/axe.min.js" "$AXE_OUT/axe.min.js"
cp "$NM/axe-core/LICENSE" "$AXE_OUT/axe-core.LICENSE.txt"
# axe.min.js bundles third-party code; these are its notices.
cp "$NM/axe-core/LICENSE-3RD-PARTY.txt" "$AXE_OUT/axe-core.LICENSE-3RD-PARTY.txt"

echo "==> writing $CHECKSUMS"
VENDORED=(
  "$GOVUK_OUT/tandem-govuk.min.css"
  "$GOVUK_OUT/govuk-frontend.min.js"
  "$GOVUK_OUT/govuk-frontend.min.js.map"
  "$GOVUK_OUT/LICENSE.txt"
  "$HTMX_OUT/htmx.min.js"
  "$HTMX_OUT/LICENSE"
  "$AXE_OUT/axe.min.js"
  "$AXE_OUT/axe-core.LICENSE.txt"
  "$AXE_OUT/axe-core.LICENSE-3RD-PARTY.txt"
)
sha256sum "${VENDORED[@]}" > "$CHECKSUMS"
cat "$CHECKSUMS"
sha256sum --quiet -c "$CHECKSUMS"
echo "==> done"
