"""Run the action server: `python -m bot.actions.server`.

Our own entry point instead of `rasa_sdk`'s CLI so that the KB model and index are loaded once,
before the port opens (a ready port means a warm server), in a single process: Sanic's worker
processes and torch's multiprocessing start method do not mix.
"""

from __future__ import annotations

import logging
import os
import warnings

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, response

from bot.actions.settings import get_settings
from common.redaction import redact_logs
from common.secrets import require_secret, same_secret

log = logging.getLogger("bot.actions.server")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # rasa-sdk 3.21 warns on every call that it is not 3.6; the action protocol is unchanged and the
    # end-to-end tests run exactly this pair.
    warnings.filterwarnings("ignore", message="Your versions of rasa and rasa_sdk might not be compatible")
    redact_logs()
    os.umask(0o077)  # the outbox, the accounts database and mail files hold personal data
    settings = get_settings()
    require_secret("ACTION_SERVER_TOKEN", settings.action_server_token)
    require_secret("HANDOFF_BOT_TOKEN", settings.handoff_bot_token)
    require_secret("SLOT_SEAL_SECRET", settings.slot_seal_secret)
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    # No CORS: only the Rasa server calls this, never a browser.
    app = create_app(executor, cors_origins=None)
    # Sanic's own default is 100 MB; a tracker of a very long conversation is a few MB.
    max_bytes = settings.action_request_max_bytes
    expected = f"Bearer {settings.action_server_token}"

    @app.on_request
    async def only_rasa(request: Request):  # noqa: ANN202 - a Sanic middleware
        # Everything but the health check: the caller must be the Rasa server, which sends the token
        # (a forged call could otherwise run account actions with slots it made up).
        if request.path != "/health" and not same_secret(request.headers.get("authorization"), expected):
            return response.json({"error": "missing or wrong Authorization: Bearer token"}, status=401)
        # By Content-Length: with Sanic 25, setting REQUEST_MAX_SIZE on this app did not refuse the body.
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > max_bytes:
            return response.json({"error": f"request body over {max_bytes} bytes"}, status=413)
        return None

    @app.before_server_start
    async def warm_up(_app, _loop) -> None:  # noqa: ANN001
        from bot.actions.kb import get_searcher

        log.info("warming up the KB model and index")
        get_searcher().warm_up()

    @app.after_server_start
    async def start_outbox(_app, _loop) -> None:  # noqa: ANN001
        from bot.actions.handoff import get_outbox
        from bot.actions.handoff_outbox import run_worker

        outbox = get_outbox()
        waiting = len(outbox.pending())
        if waiting:
            log.info("handoff outbox: %d escalation(s) waiting from before the restart", waiting)
        _app.add_task(run_worker(outbox, settings), name="handoff-outbox")

    app.run(
        host=settings.action_host,
        port=settings.action_port,
        single_process=True,
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
