#!/usr/bin/env sh
# Runs the cto-jobs CLI from the project root (tsx loads the TypeScript sources).
root="$(cd "$(dirname "$0")/.." && pwd)"
exec node --import tsx --import "$root/bin/polyfills.ts" "$root/bin/cto-jobs.ts" "$@"
