"""Parse messages with a trained Rasa model; runs in the Rasa environment (.venvs/rasa).

    .venvs/rasa/bin/python -m tests.nlu.parse_messages MODEL.tar.gz < texts.json > predictions.json

stdin: a JSON list of texts. stdout: a JSON list of {"predicted", "ranking", "entities"}, where
"predicted" is the pipeline's final intent (after the FallbackClassifier) and "ranking" the
classifier's own ranking.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    from bench.nlu import rasa_nlu

    rasa_nlu.quiet()
    texts = json.load(sys.stdin)
    parser = rasa_nlu.Parser(sys.argv[1])
    predictions = parser.parse(texts)
    parser.close()
    json.dump(predictions, sys.stdout)


if __name__ == "__main__":
    main()
