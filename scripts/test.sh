#!/usr/bin/env bash
# What `npm test` and CI run: services, lint, types, then every vitest project (unit + integration).
# Extra arguments go to vitest, e.g. `npm test -- --project unit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-services.sh

dirs=()
for dir in src workers test bench; do
  if [ -d "$dir" ]; then dirs+=("$dir"); fi
done
if [ "${#dirs[@]}" -gt 0 ]; then
  npx biome check "${dirs[@]}"
fi

npx tsc --noEmit
npx tsc --noEmit -p tsconfig.widget.json
npx tsx scripts/build-widget.ts

npx vitest run "$@"
