#!/usr/bin/env bash
# One command from a fresh machine to tether findings: installs the packages, builds everything,
# then runs tether over the bundled example service.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
"$root/scripts/demo.sh"
