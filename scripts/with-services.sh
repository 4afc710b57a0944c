#!/usr/bin/env bash
# Runs a command with the test servers up: starts them (scripts/services.sh up), exports their
# addresses (REDIS_URL, ...), runs the command, and stops them again. Where they cannot be started
# (no root to install them, say), the command still runs and the tests that need a server skip
# with a message; in CI (CI=true) that is a failure instead.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# Servers somebody started before (a developer's `services.sh up`) are theirs to stop.
started_here=true
[ -f "$root/.services/env" ] && started_here=false

if bash "$root/scripts/services.sh" up; then
  if [ "$started_here" = true ]; then
    trap 'bash "$root/scripts/services.sh" down >/dev/null 2>&1 || true' EXIT
  fi
  set -a
  # shellcheck source=/dev/null
  source "$root/.services/env"
  set +a
elif [ "${CI:-}" = "true" ]; then
  echo "with-services.sh: the test servers could not be started, and CI needs them" >&2
  exit 1
else
  echo "with-services.sh: WARNING: the test servers could not be started; the tests that need them will be skipped" >&2
fi

"$@"
