"""Parse messages with a trained Rasa model; runs in the Rasa environment (.venvs/rasa).

    .venvs/rasa/bin/python -m tests.bot.nlu.parse_messages MODEL.tar.gz [--one-by-one] < texts.json > out.json

--one-by-one: parse each message through Agent.parse_message as well and print both.

stdin: a JSON list of texts. stdout: a JSON list of {"predicted", "ranking", "entities"}, where
"predicted" is the pipeline's final intent (after the FallbackClassifier) and "ranking" the
classifier's own ranking.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    from nlu_eval import rasa_nlu

    rasa_nlu.quiet()
    texts = json.load(sys.stdin)
    parser = rasa_nlu.Parser(sys.argv[1])
    predictions = parser.parse(texts)
    if "--one-by-one" in sys.argv:
        predictions = {"batched": predictions, "one_by_one": parser.parse_one_by_one(texts)}
    parser.close()
    json.dump(predictions, sys.stdout)


if __name__ == "__main__":
    main()
