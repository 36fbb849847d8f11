#!/usr/bin/env bash
# What `npm run bench` runs: services, then every bench in sequence (bench/run.ts); figures are printed and
# written to bench/results.json. Extra arguments go to bench/run.ts, e.g. `npm run bench -- --mails 500`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-services.sh
npx tsx bench/run.ts "$@"
