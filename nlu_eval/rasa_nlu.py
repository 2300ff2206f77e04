"""Train and run Rasa NLU models from Python (runs in the Rasa environment, .venvs/rasa).

Shared by the NLU benchmark (bench/nlu), the report (authoring) and the held-out regression test:
training data as Rasa's TrainingData, a pipeline as a dict, predictions as plain dicts with the
classifier's own ranking (before the FallbackClassifier), so thresholds can be applied afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# No training cache (.rasa/cache): a cached component would make training times meaningless.
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
warnings.filterwarnings("ignore")

import yaml  # noqa: E402

from nlu_eval.metrics import FALLBACK  # noqa: E402


def quiet() -> None:
    """Keep Rasa's and TensorFlow's chatter out of the benchmark's output."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    for name in ("rasa", "tensorflow", "absl", "matplotlib", "h5py", "numexpr", "sanic", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)


def load_training_data(*paths: Path | str):
    """Rasa TrainingData from NLU YAML files or folders (regexes, lookups and synonyms included)."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = None
    for path in paths:
        part = load_data(str(path))
        data = part if data is None else data.merge(part)
    return data


def examples(data) -> list[tuple[str, str]]:
    """(text, intent) of every intent example."""
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def read_config(path: Path | str) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text())


def nlu_config(config: dict[str, Any], *, epochs: int | None = None, fallback: bool = True) -> dict[str, Any]:
    """The NLU part of a Rasa config; `epochs` overrides DIET's, `fallback=False` drops the
    FallbackClassifier (predictions then carry the classifier's own confidences)."""
    pipeline = []
    for part in config["pipeline"]:
        part = dict(part)
        if part["name"] == "FallbackClassifier" and not fallback:
            continue
        if part["name"] == "DIETClassifier" and epochs is not None:
            part["epochs"] = epochs
        pipeline.append(part)
    return {"recipe": "default.v1", "language": config.get("language", "en"), "pipeline": pipeline}


def shipped_thresholds(config: dict[str, Any]) -> tuple[float, float]:
    """The FallbackClassifier's threshold and ambiguity threshold in `config` (Rasa's defaults
    when it leaves them out; 0, 0 without a FallbackClassifier). Shared by `make bench-nlu` and
    `make report` (authoring/nlu_report.py)."""
    fallback = next((p for p in config["pipeline"] if p["name"] == "FallbackClassifier"), None)
    if fallback is None:
        return 0.0, 0.0
    return float(fallback.get("threshold", 0.3)), float(fallback.get("ambiguity_threshold", 0.1))


@dataclass
class Trained:
    model: Path
    seconds: float


def train(config: dict[str, Any], data, out_dir: Path, name: str = "nlu") -> Trained:
    """Train an NLU-only model on `data` (TrainingData) with `config`; returns the model file."""
    from rasa.model_training import train_nlu

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "config.yml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        data_path = Path(tmp) / "nlu.yml"
        data_path.write_text(data.nlu_as_yaml())
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # "Your Rasa model is trained and saved at ..."
            model = train_nlu(str(config_path), str(data_path), str(out_dir), fixed_model_name=name)
        seconds = time.perf_counter() - started
    if not model:
        raise RuntimeError("Rasa NLU training produced no model")
    return Trained(Path(model), seconds)


def synthetic_training_data(rows: list[tuple[str, str]]):
    """TrainingData from (text, intent) pairs (for public data sets: read in place, never copied)."""
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    return TrainingData([Message(data={"text": text, "intent": intent}) for text, intent in rows])


class Parser:
    """Parses messages with a trained model (NLU-only or full) the way the server does."""

    def __init__(self, model: Path | str) -> None:
        from rasa.core.agent import Agent

        self.agent = Agent.load(str(model))
        self.loop = asyncio.new_event_loop()

    def parse(self, texts: list[str], batch_size: int = 256) -> list[dict[str, Any]]:
        """Runs the model's NLU graph on many messages at once: every component gets the whole
        batch (the MiniLM featurizer and the linear classifier vectorise it). The result per
        message is what `Agent.parse_message` returns for it alone (tests/bot/nlu checks this)."""
        from rasa.core.channels.channel import UserMessage
        from rasa.engine.constants import PLACEHOLDER_MESSAGE

        processor = self.agent.processor
        target = processor.model_metadata.nlu_target
        out = []
        for start in range(0, len(texts), batch_size):
            messages = [UserMessage(text) for text in texts[start : start + batch_size]]
            parsed = processor.graph_runner.run(inputs={PLACEHOLDER_MESSAGE: messages}, targets=[target])[target]
            out.extend(prediction(m.as_dict(only_output_properties=True)) for m in parsed)
        return out

    def parse_one_by_one(self, texts: list[str]) -> list[dict[str, Any]]:
        """Through `Agent.parse_message`, one message at a time (slow; the reference)."""

        async def run() -> list[dict[str, Any]]:
            return [await self.agent.parse_message(text) for text in texts]

        return [prediction(raw) for raw in self.loop.run_until_complete(run())]

    def close(self) -> None:
        self.loop.close()


def prediction(raw: dict[str, Any]) -> dict[str, Any]:
    """What the pipeline said, and the classifier's ranking without the fallback intent."""
    ranking = [(r["name"], float(r["confidence"])) for r in raw.get("intent_ranking", []) if r["name"] != FALLBACK]
    if not ranking and raw.get("intent", {}).get("name"):
        ranking = [(raw["intent"]["name"], float(raw["intent"].get("confidence") or 0.0))]
    return {
        "predicted": (raw.get("intent") or {}).get("name"),
        "ranking": ranking[:5],
        "entities": [
            {"entity": e["entity"], "value": e["value"], "start": e.get("start"), "end": e.get("end")}
            for e in raw.get("entities", [])
        ],
    }
