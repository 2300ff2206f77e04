"""Start the Rasa CLI with Tier0's runtime fixes: `python -m bot.rasa_launcher run ...`.

The HTTP API token comes from RASA_API_TOKEN, never from the command line: Rasa takes it only as
`--auth-token`, and a command line is visible to every user of the machine (`ps`,
/proc/<pid>/cmdline). The launcher puts it into Rasa's parsed arguments inside the process.

Found with py-spy on the turns of bench/latency.py: Rasa 3.6 validates every action-server
response with `jsonschema.validate`, which first re-checks the (constant) response schema against
the draft 2020-12 meta-schema: 66 ms a call, ~60% of the Rasa server's time on a KB turn. We build
the validator once and validate each response with it: the same checks on the response, without
re-checking Rasa's own schema every time (KB turn p50 178 ms -> ~75 ms).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import Any

REQUEST_MAX_SIZE = 2_000_000  # bytes; documented in .env.example
TOKEN_VARIABLE = "RASA_API_TOKEN"


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


def _install_token_from_environment(rasa_cli: ModuleType) -> None:
    """Every parse of Rasa's command line gets `auth_token` from RASA_API_TOKEN (commands without
    that option are left alone); a token given with --auth-token is refused."""
    create: Callable[[], argparse.ArgumentParser] = rasa_cli.create_argument_parser

    def create_argument_parser() -> argparse.ArgumentParser:
        parser = create()
        parse_args = parser.parse_args

        def parse(args: Any = None, namespace: Any = None) -> argparse.Namespace:
            parsed = parse_args(args, namespace)
            if hasattr(parsed, "auth_token"):
                if parsed.auth_token is not None:
                    parser.error(
                        f"--auth-token would show the token to every user of this machine (ps): set {TOKEN_VARIABLE}"
                        " in the environment instead"
                    )
                parsed.auth_token = os.environ.get(TOKEN_VARIABLE) or None
            return parsed

        parser.parse_args = parse  # type: ignore[method-assign]
        return parser

    rasa_cli.create_argument_parser = create_argument_parser  # type: ignore[attr-defined]


def main() -> None:
    from common.redaction import redact_logs
    from common.secrets import require_secret

    redact_logs()
    os.umask(0o077)  # the tracker store holds the conversations
    # Sanic reads SANIC_* from the environment; its own default body limit is 100 MB.
    os.environ["SANIC_REQUEST_MAX_SIZE"] = os.environ.get("SANIC_REQUEST_MAX_SIZE") or str(REQUEST_MAX_SIZE)
    if "run" in sys.argv[1:2]:
        require_secret("ACTION_SERVER_TOKEN", os.environ.get("ACTION_SERVER_TOKEN", ""))
        require_secret(TOKEN_VARIABLE, os.environ.get(TOKEN_VARIABLE, ""))
    _install_fast_action_validation()
    import rasa.__main__ as rasa_cli

    _install_token_from_environment(rasa_cli)
    sys.argv[0] = "rasa"
    rasa_cli.main()


if __name__ == "__main__":
    main()
