#!/usr/bin/env bash
# Rewrites src/Microsoft.ML.NFNet/PublicAPI.Unshipped.txt to the library's current public surface, so that a change to
# the surface becomes a diff to review. The build fails (RS0016/RS0017) until this is run after a public change.
# PublicAPI.Shipped.txt holds what a release shipped; move the lines there when releasing.
set -euo pipefail
cd "$(dirname "$0")/.."
project=src/Microsoft.ML.NFNet
unshipped=$project/PublicAPI.Unshipped.txt
printf '#nullable enable\n' > "$unshipped"
log=$(mktemp)
dotnet build "$project" -c Release --no-incremental -p:WarningsAsErrors= -p:TreatWarningsAsErrors=false >"$log" 2>&1 || true
# RS0016: a public symbol missing from the files; RS0017: a listed symbol that no longer exists (dropped by the reset).
grep -o "RS0016: Symbol '.*' is not part of the declared public API" "$log" \
  | sed -E "s/^RS0016: Symbol '(.*)' is not part of the declared public API$/\1/" \
  | LC_ALL=C sort -u >> "$unshipped"
rm -f "$log"
echo "update-public-api: $(($(wc -l < "$unshipped") - 1)) symbols in $unshipped"
