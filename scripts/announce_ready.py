"""Procfile helper: wait until every service answers, print the URLs, then stay up.

honcho stops the whole stack when any process exits, so this one waits for a signal.
"""

from __future__ import annotations

import os
import signal
import sys

from common.readiness import wait_until_answering


def main() -> int:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    rasa = f"http://{os.environ['RASA_HOST']}:{os.environ['RASA_PORT']}"
    actions = f"http://{os.environ['ACTION_HOST']}:{os.environ['ACTION_PORT']}"
    site = f"http://{os.environ['HANDOFF_HOST']}:{os.environ['HANDOFF_PORT']}"
    checks = {"Rasa server": f"{rasa}/", "action server": f"{actions}/health", "handoff API": f"{site}/readyz"}
    waited = wait_until_answering(checks)
    print(
        f"\nTier0 is up after {waited:.0f} s:\n"
        f"  Demo help site with the chat:  {site}/\n"
        f"  Widget script for any page:    {site}/widget/tier0-widget.js (docs/widget.md)\n"
        f"  Staff pages (ticket queue):    {site}/staff/login\n"
        "    (first staff user: .venvs/app/bin/python -m handoff_api.cli create-staff --email ... --name ...)\n"
        f"  Handoff API docs (OpenAPI):    {site}/docs\n"
        f"  Rasa REST channel:             {rasa}/webhooks/rest/webhook\n"
        f"  Action server:                 {actions}/health\n"
        "Press Ctrl-C to stop everything.\n",
        flush=True,
    )
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    sys.exit(main())
