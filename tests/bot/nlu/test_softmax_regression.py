"""bot/nlu/softmax_regression.py fits scikit-learn's multinomial logistic regression, with the
sparse and dense feature blocks kept apart: same probabilities on the same data."""

from __future__ import annotations

import numpy as np
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from bot.nlu.softmax_regression import fit


def test_same_model_as_scikit_learn() -> None:
    rng = np.random.default_rng(7)
    n, k = 300, 4
    y = rng.integers(0, k, n)
    dense = rng.normal(size=(n, 12)) + np.eye(k)[y] @ rng.normal(size=(k, 12))
    sparse = scipy.sparse.random(n, 40, density=0.1, random_state=3, format="csr")
    weights, bias = fit([sparse, dense], y, k, C=2.0, tol=1e-8)

    x = scipy.sparse.hstack([sparse, scipy.sparse.csr_matrix(dense)]).tocsr()
    reference = LogisticRegression(C=2.0, tol=1e-8, max_iter=5000).fit(x, y)
    ours = x @ weights + bias
    ours = np.exp(ours - ours.max(axis=1, keepdims=True))
    ours /= ours.sum(axis=1, keepdims=True)
    assert np.abs(ours - reference.predict_proba(x)).max() < 1e-3
    assert (ours.argmax(axis=1) == reference.predict(x)).all()
