#!/usr/bin/env bash
# Renders media/icon.png (the Marketplace and Extensions-view icon, 256x256) from the activity-bar glyph
# media/downloads.svg, white on a blue tile, with the Chromium the real-VS-Code suites use. Run it again
# after changing the glyph; the PNG is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "make-icon: $chromium not found (scripts/real-vscode.sh installs it)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The glyph draws with currentColor; the tile's color makes it white.
glyph="$(sed 's/width="24" height="24" //' media/downloads.svg)"
cat >"$work/icon.html" <<HTML
<!doctype html><html><head><style>
html, body { margin: 0; width: 256px; height: 256px; overflow: hidden; background: transparent; }
.tile { width: 256px; height: 256px; border-radius: 48px; display: flex; align-items: center; justify-content: center;
  background: linear-gradient(160deg, #1f8ad2 0%, #0b5a96 100%); color: #fff; }
svg { width: 184px; height: 184px; }
</style></head><body><div class="tile">$glyph</div></body></html>
HTML
"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --default-background-color=00000000 \
  --window-size=256,256 --screenshot="$work/icon.png" "file://$work/icon.html" >/dev/null 2>&1
cp "$work/icon.png" media/icon.png
echo "media/icon.png: $(wc -c <media/icon.png) bytes"
