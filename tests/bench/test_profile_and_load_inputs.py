"""The profile's split of py-spy samples into phases and components, and the load bench's
conversations and CPU accounting."""

from __future__ import annotations

from bench.latency import Messages
from bench.load import conversations, cpu_per_turn
from bench.profile import classify

RASA = "handle_message (rasa/core/processor.py:123)"


def test_a_sample_is_split_by_the_outermost_phase_and_the_innermost_component() -> None:
    nlu = [RASA, "_parse_message_with_graph (rasa/core/processor.py:9)", "process (bot/nlu/embedding_featurizer.py:5)"]
    assert classify([*nlu, "_encode (common/onnx_encoder.py:3)"]) == (
        "NLU pipeline",
        "sentence embeddings (MiniLM + MPNet, ONNX)",
    )
    policy = [RASA, "_predict_next_with_tracker (rasa/core/processor.py:1)", "_predict (rule_policy.py:2)"]
    assert classify([*policy, "past_states (rasa/shared/core/trackers.py:3)"]) == (
        "policies (next action)",
        "rule policy",
    )
    store = [RASA, "get_tracker (rasa/core/processor.py:1)", "_retrieve (bot/tracker_store.py:7)"]
    assert classify(store) == ("tracker store (read, save)", "")
    assert classify(["run (sanic/app.py:1)", "idle (asyncio/base_events.py:1)"]) == ("HTTP server and the rest", "")


def test_an_action_server_sample_is_split_by_action_module() -> None:
    frames = ["run (rasa_sdk/executor.py:1)", "run (bot/actions/kb.py:40)", "search (kb_index/search.py:9)"]
    assert classify(frames, "actions") == ("bot/actions/kb.py", "KB search")
    assert classify(["run (sanic/app.py:1)"], "actions") == ("HTTP server and the rest", "")
    thread = ["_bootstrap (threading.py:1)", "search (kb_index/search.py:9)", "_encode (common/onnx_encoder.py:3)"]
    assert classify(thread, "actions") == ("worker threads: KB query embedding", "")


def test_each_load_conversation_opens_with_its_own_unseen_message() -> None:
    scripts = [["hi", "windows"], ["hello"]]
    made = conversations(Messages(), scripts, 5)
    firsts = [c[0] for c in made]
    assert len(set(firsts)) == 5 and [c[1:] for c in made[:3]] == [["hi", "windows"], ["hello"], ["hi", "windows"]]


def test_cpu_per_turn_leaves_the_rest_of_the_machine_to_the_services() -> None:
    before = {"rasa": 1.0, "actions": 0.5, "load client (this bench)": 0.2, "machine": 10.0}
    after = {"rasa": 3.0, "actions": 1.0, "load client (this bench)": 0.4, "machine": 14.0}
    spent = cpu_per_turn(before, after, 100)
    assert spent["rasa"] == 20.0 and spent["actions"] == 5.0 and spent["machine"] == 40.0
    assert spent["other (PostgreSQL, Redis, RabbitMQ, kernel)"] == 13.0
