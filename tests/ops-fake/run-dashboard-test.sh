#!/usr/bin/env bash
# The dashboard's browser test against the fake ops API, which also serves the dashboard's files
# with the real Content-Security-Policy. Needs node, npm and Chromium; no stack.
# Usage: tests/ops-fake/run-dashboard-test.sh   (SCREENSHOT_PATH=FILE.png to keep a screenshot)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/ops-fake/lib.sh
. "$here/lib.sh"

start_fake webhook_failed
# user 1111… exists with credits; dead letter 2 belongs to a user without credits: 402
METERED_BASE_URL="$FAKE_URL" SEEDED_FAILED_EVENT_ID=evt_fake_seeded_failed \
  ADJUST_USER_ID=11111111-1111-4111-8111-111111111111 REQUEUE_DEAD_LETTER_ID=2 \
  "$here/../../bin/test-dashboard"
