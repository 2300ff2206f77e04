"""Start the Rasa CLI with Tier0's runtime fix: `python -m bot.rasa_launcher run ...`.

Found with py-spy on the turns of bench/latency.py: Rasa 3.6 validates every action-server
response with `jsonschema.validate`, which first re-checks the (constant) response schema against
the draft 2020-12 meta-schema: 66 ms a call, ~60% of the Rasa server's time on a KB turn. We build
the validator once and validate each response with it: the same checks on the response, without
re-checking Rasa's own schema every time (KB turn p50 178 ms -> ~75 ms).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any

REQUEST_MAX_SIZE = 2_000_000  # bytes; documented in .env.example


def _install_fast_action_validation() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    @lru_cache(maxsize=1)
    def validator() -> Any:
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator().validate(result)
            return True
        except ValidationError as e:
            # Same message and exception as Rasa's own implementation.
            e.message += (
                ". Failed to validate Action server response from API, make sure your response from the "
                f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise

    RemoteAction._validate_action_result = _validate_action_result


def main() -> None:
    import os

    from common.redaction import redact_logs
    from common.secrets import require_secret

    redact_logs()
    os.umask(0o077)  # the tracker store holds the conversations
    # Sanic reads SANIC_* from the environment; its own default body limit is 100 MB.
    os.environ["SANIC_REQUEST_MAX_SIZE"] = os.environ.get("SANIC_REQUEST_MAX_SIZE") or str(REQUEST_MAX_SIZE)
    if "run" in sys.argv[1:2]:
        require_secret("ACTION_SERVER_TOKEN", os.environ.get("ACTION_SERVER_TOKEN", ""))
        require_secret("RASA_API_TOKEN", os.environ.get("RASA_API_TOKEN", ""))
    _install_fast_action_validation()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
