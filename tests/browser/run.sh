#!/usr/bin/env bash
# Runs the browser tests (headless Chromium against a real relatio server)
# from the repository root; exits with node's test-runner status.
#   RELATIO_BIN=path/to/relatio  the server (default build/rel/relatio)
set -uo pipefail
cd "$(dirname "$0")/../.."
node --test tests/browser/
