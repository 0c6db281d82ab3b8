#!/usr/bin/env bash
# Telephony benchmark: screen-pop latency from a posted (signed) ringing
# event to the caller's card on the agent's server-sent-events stream, p99
# against the 1 s target (bench/cti.mjs). Needs make (build/rel).
set -eu
cd "$(dirname "$0")/.."
echo "== telephony: screen pop through the API"
RELATIO_BIN=${RELATIO_BIN:-build/rel/relatio} RELATIO_PWHASH=fast node bench/cti.mjs
