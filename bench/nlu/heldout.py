"""The held-out files in bench/data/nlu_heldout/ (one per topic): customer-style messages that are
never trained on and never used to choose the pipeline or the thresholds. Reading them needs no
Rasa (the regression test reads them in the app environment)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "bench/data/nlu_heldout"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def read_examples(path: Path = HELDOUT) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file or a folder of them; entity annotations are
    reduced to their text."""
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
    rows = []
    for item in (entry for file in files for entry in yaml.safe_load(file.read_text())["nlu"]):
        if "intent" not in item:
            continue
        for line in item["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                rows.append((_ANNOTATION.sub(r"\1", line[2:]).strip(), item["intent"]))
    return rows


def evaluate(config: dict[str, Any], training_data, log=print) -> dict[str, Any]:
    """Train `config` (with its FallbackClassifier) on all our data, parse every held-out message."""
    import tempfile

    from nlu_eval import rasa_nlu
    from nlu_eval.metrics import FALLBACK, OUT_OF_SCOPE, confusions, per_intent, rates

    rows = read_examples()
    with tempfile.TemporaryDirectory() as tmp:
        trained = rasa_nlu.train(rasa_nlu.nlu_config(config), training_data, Path(tmp), name="heldout")
        log(f"  held-out: trained on all our data in {trained.seconds:.0f} s")
        parser = rasa_nlu.Parser(trained.model)
        predictions = parser.parse([text for text, _ in rows])
        parser.close()
    truths = [intent for _, intent in rows]
    finals = [p["predicted"] for p in predictions]
    # Short messages ("hi", "yes", "bye") are in the training data too; the figures on the messages
    # that are not (same text after lower-casing and dropping punctuation) are reported as well.
    seen = {normalised(m.get("text")) for m in training_data.intent_examples}
    unseen = [i for i, (text, _) in enumerate(rows) if normalised(text) not in seen]
    return {
        "file": str(HELDOUT.relative_to(ROOT)),
        "messages": len(rows),
        "train_seconds": round(trained.seconds, 1),
        **rates(truths, finals),
        "also_in_training_data": len(rows) - len(unseen),
        "unseen_only": rates([truths[i] for i in unseen], [finals[i] for i in unseen]),
        "per_intent": per_intent(truths, finals),
        "top_confusions": confusions(truths, finals),
        "misses": [
            {"text": text, "intent": truth, "predicted": final, "top": p["ranking"][:2]}
            for (text, truth), final, p in zip(rows, finals, predictions, strict=True)
            if truth != final and not (truth == OUT_OF_SCOPE and final == FALLBACK)
        ],
    }
