"""Shared fixtures: the KB model is loaded once per test session, and one running stack (Rasa,
the action server, the handoff API) serves the end-to-end and security tests."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder():
    from kb_index.embedding import make_embedder

    return make_embedder("minilm-int8-onnx")


@pytest.fixture(scope="session")
def stack():
    from harness.stack import built_test_index, running_stack, trained_test_model

    model = trained_test_model()
    index = built_test_index()
    with running_stack(model, index) as s:
        yield s


@pytest.fixture(autouse=True)
def fresh_limits(request):
    """Each test starts with the production limits unused, as a new customer would; the tests of
    the limits themselves count from zero."""
    if "stack" in request.fixturenames:
        request.getfixturevalue("stack").reset_limits()
