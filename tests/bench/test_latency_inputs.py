"""The latency benchmark's inputs: every message it sends is new to the stack within a run, and the
per-process figures it reads from /proc are real."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.latency import Messages
from bench.process_stats import cpu_seconds, process_tree, rss_mb


def test_no_message_is_handed_out_twice() -> None:
    pool = Messages()
    taken = pool.take(pool.small_talk, 40) + pool.take(pool.mix, 80) + pool.take(pool.kb, 200)
    assert len(taken) == len(set(taken)) == 320


def test_running_out_of_new_messages_is_an_error_not_a_repeat() -> None:
    pool = Messages()
    pool.take(pool.kb, len(pool.kb))
    try:
        pool.take(pool.kb, 1)
    except SystemExit as exc:
        assert "unseen messages" in str(exc)
    else:
        raise AssertionError("a repeated message was handed out")


def test_cpu_and_memory_of_a_process_tree_include_its_children() -> None:
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    spawn = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {busy!r}]); time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", spawn])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (len(process_tree(parent.pid)) < 2 or cpu_seconds(parent.pid) < 0.25):
            time.sleep(0.1)
        assert len(process_tree(parent.pid)) == 2
        assert cpu_seconds(parent.pid) >= 0.25  # the child's busy loop counts
        child = process_tree(parent.pid)[1]
        assert rss_mb(parent.pid) > rss_mb(child) > 0  # the tree holds the child's memory and more
    finally:
        for pid in reversed(process_tree(parent.pid)):
            os.kill(pid, 9)
        parent.wait()
