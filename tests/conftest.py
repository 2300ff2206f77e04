"""Shared fixtures: the KB model is loaded once per test session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder():
    from kb_index.embedding import make_embedder

    return make_embedder("minilm-int8-onnx")
