"""Checks of a sentence-embedding featurizer inside Rasa; runs in the Rasa environment and prints JSON.

.venvs/rasa/bin/python -m tests.bot.nlu.featurizer_check minilm|mpnet   (texts as a JSON list on stdin)
"""

from __future__ import annotations

import json
import socket
import sys


def _no_network(*args, **kwargs):
    raise OSError("network access attempted")


def main() -> None:
    # Any connection attempt (a model hub, a registry) fails loudly.
    socket.socket.connect = _no_network  # type: ignore[method-assign]
    socket.create_connection = _no_network  # type: ignore[assignment]

    import numpy as np
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.minilm_featurizer import MiniLMFeaturizer
    from bot.nlu.mpnet_featurizer import MPNetFeaturizer

    which = sys.argv[1] if len(sys.argv) > 1 else "minilm"
    cls = {"minilm": MiniLMFeaturizer, "mpnet": MPNetFeaturizer}[which]
    texts = json.load(sys.stdin)
    featurizer = cls({**cls.get_default_config(), "alias": which}, which)

    def sentence_features(messages: list[Message]) -> list[np.ndarray]:
        out = []
        for m in messages:
            seq, sent = m.get_dense_features(TEXT)
            assert seq is None, "the featurizer adds sentence features only"
            out.append(sent.features)
        return out

    batch = [Message(data={TEXT: t}) for t in texts]
    featurizer.process_training_data(TrainingData(batch))
    one_by_one = []
    for t in texts:
        m = Message(data={TEXT: t})
        featurizer.process([m])
        one_by_one.append(m)
    again = [Message(data={TEXT: t}) for t in texts]
    featurizer.process(again)
    a, b, c = sentence_features(batch), sentence_features(one_by_one), sentence_features(again)
    json.dump(
        {
            "shapes": [list(x.shape) for x in a],
            "dtype": str(a[0].dtype),
            "norms": [float(np.linalg.norm(x)) for x in a],
            "max_diff_batch_vs_single": float(max(np.abs(x - y).max() for x, y in zip(a, b, strict=True))),
            "max_diff_repeat": float(max(np.abs(x - y).max() for x, y in zip(a, c, strict=True))),
            "vectors": [x[0].tolist() for x in a],
            "empty_text_has_features": bool(
                featurizer.process([Message(data={TEXT: ""})])[0].get_dense_features(TEXT)[1] is not None
            ),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
