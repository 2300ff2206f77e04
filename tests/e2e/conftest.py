"""One running stack for the end-to-end tests of a session."""

from __future__ import annotations

import pytest

from tests.stack import built_test_index, running_stack, trained_test_model


@pytest.fixture(scope="session")
def stack():
    model = trained_test_model()
    index = built_test_index()
    with running_stack(model, index) as s:
        yield s
