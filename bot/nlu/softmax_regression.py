"""Multinomial logistic regression fitted on column blocks, some sparse and some dense.

The objective is scikit-learn's (`LogisticRegression(C=...)`, lbfgs, multinomial):
C * sum of cross-entropies + 1/2 * squared weights (the bias is not penalised). Why not
scikit-learn itself: the Rasa environment pins scikit-learn 1.1, which needs the features as one
sparse matrix; the dense sentence embeddings (1,152 floats a message) then go through sparse
matrix products, and on CLINC150 one fit took over 20 minutes. Kept as separate blocks, the dense
part is multiplied by BLAS and the same fit takes a minute or two.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.optimize
import scipy.sparse

Block = np.ndarray | scipy.sparse.spmatrix


def _widths(blocks: Sequence[Block]) -> list[int]:
    return [int(b.shape[1]) for b in blocks]


def fit(
    blocks: Sequence[Block], y: np.ndarray, n_classes: int, C: float, max_iter: int = 2000, tol: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """Weights (sum of block widths, n_classes) and bias (n_classes,) for class indices `y`."""
    blocks = [b.tocsr().astype(np.float64) if scipy.sparse.issparse(b) else np.asarray(b, np.float64) for b in blocks]
    n = blocks[0].shape[0]
    widths = _widths(blocks)
    d, k = sum(widths), n_classes
    bounds = np.cumsum([0, *widths])
    rows = np.arange(n)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weights, bias = theta[: d * k].reshape(d, k), theta[d * k :]
        scores = np.tile(bias, (n, 1))
        for block, lo, hi in zip(blocks, bounds[:-1], bounds[1:], strict=True):
            scores += block @ weights[lo:hi]
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        total = exp.sum(axis=1)
        loss = C * float((np.log(total) - scores[rows, y]).sum()) + 0.5 * float((weights**2).sum())
        residual = exp / total[:, None]
        residual[rows, y] -= 1.0
        residual *= C
        grad_w = np.empty_like(weights)
        for block, lo, hi in zip(blocks, bounds[:-1], bounds[1:], strict=True):
            grad_w[lo:hi] = np.asarray(block.T @ residual)
        grad_w += weights
        return loss, np.concatenate([grad_w.ravel(), residual.sum(axis=0)])

    result = scipy.optimize.minimize(
        objective,
        np.zeros(d * k + k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "maxls": 50},
    )
    theta = result.x
    return theta[: d * k].reshape(d, k), theta[d * k :]
