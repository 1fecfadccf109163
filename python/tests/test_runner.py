"""The runner speaks the protocol: handshake, prepare, decide with history, error on an exception, close."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

from streamtune_tuner import Decision, Keep, Rescale, Tuner, View, serve

JOB = {
    "name": "c",
    "operators": [
        {"id": "src", "type": "source", "cost": 1, "selectivity": 1, "partitioning": "forward", "keySkew": 0, "stateSizeMb": 0, "maxParallelism": 4},
        {"id": "agg", "type": "keyedAggregate", "cost": 10, "selectivity": 1, "partitioning": "hash", "keySkew": 0, "stateSizeMb": 0, "maxParallelism": 16},
    ],
    "edges": [{"from": "src", "to": "agg", "ship": "hash", "share": 1}],
}


def metrics(p: int, busy: float, rate: float) -> dict[str, Any]:
    return {
        "parallelism": p,
        "busyMsPerSecond": busy,
        "busyMsPerSecondMax": busy,
        "idleMsPerSecond": 1000 - busy,
        "backPressuredMsPerSecond": 0,
        "backPressuredMsPerSecondMax": 0,
        "recordsInPerSecond": rate,
        "recordsOutPerSecond": rate,
        "trueProcessingRate": rate / (busy / 1000) if busy > 0 else None,
        "trueOutputRate": rate / (busy / 1000) if busy > 0 else None,
    }


def decide(window: int, episode: int, agg: int, busy: float) -> dict[str, Any]:
    return {
        "type": "decide",
        "window": window,
        "episode": episode,
        "view": {
            "parallelism": {"src": 1, "agg": agg},
            "snapshot": {
                "time": 10.0 * window,
                "windowSeconds": 10,
                "operators": {"src": metrics(1, 1, 100), "agg": metrics(agg, busy, 100)},
                "sources": {"src": {"targetRate": 100, "achievedRate": 100, "lagRecords": 0}},
                "targetRate": 100,
                "achievedRate": 100,
            },
            "targetRate": 100,
            "clock": 10.0 * window,
            "sharedWorkers": False,
        },
    }


class Recorder(Tuner):
    name = "recorder"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, int, int]] = []

    def decide(self, view: View) -> Decision:
        print("a stray print goes to stderr, never to the protocol")
        self.seen.append((view.window, len(view.episode_views), len(view.history)))
        busy = view.snapshot.operators["agg"].busy_ms_per_second or 0
        if busy > 800:
            return Rescale({"agg": view.parallelism["agg"] + 1}, "busy", {"agg": f"busy {busy:.0f}"})
        return Keep(f"rng {self.rng.random():.6f}")


def exchange(tuner: Tuner, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = io.StringIO()
    serve(tuner, io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_whole_exchange() -> None:
    t = Recorder()
    answers = exchange(
        t,
        [
            {"type": "hello", "protocol": 1, "tuner": "r"},
            {"type": "prepare", "job": JOB, "options": {"a": 1}, "seed": 42, "engine": "simulator"},
            decide(1, 0, 1, 900),
            decide(2, 0, 2, 450),
            decide(3, 1, 2, 450),
            {"type": "close"},
        ],
    )
    assert [a["type"] for a in answers] == ["hello", "ready", "rescale", "keep", "keep", "bye"]
    assert answers[0] == {"type": "hello", "protocol": 1, "name": "recorder"}
    assert answers[2] == {"type": "rescale", "parallelism": {"agg": 2}, "reason": "busy", "reasons": {"agg": "busy 900"}}
    assert t.options == {"a": 1} and t.seed == 42 and t.engine == "simulator"
    # the runner keeps this episode's views and the run's: a new episode index starts a new episode
    assert t.seen == [(1, 1, 1), (2, 2, 2), (3, 1, 3)]


def test_same_seed_same_answers() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        reqs = [{"type": "hello", "protocol": 1, "tuner": "r"}, {"type": "prepare", "job": JOB, "options": {}, "seed": seed, "engine": "x"}, decide(1, 0, 1, 100)]
        return exchange(Recorder(), reqs)

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_an_exception_is_an_error_message_and_ends_the_session() -> None:
    class Broken(Tuner):
        def decide(self, view: View) -> Decision:
            raise ZeroDivisionError("division by zero")

    answers = exchange(
        Broken(),
        [{"type": "hello", "protocol": 1, "tuner": "b"}, {"type": "prepare", "job": JOB, "options": {}, "seed": 1, "engine": "x"}, decide(1, 0, 1, 100), decide(2, 0, 1, 100)],
    )
    assert answers[-1] == {"type": "error", "message": "ZeroDivisionError: division by zero"}
    assert len(answers) == 3


def test_another_protocol_version_is_refused() -> None:
    answers = exchange(Recorder(), [{"type": "hello", "protocol": 99, "tuner": "r"}])
    assert answers[0]["type"] == "error" and "protocol 1" in answers[0]["message"]


def test_the_ds2_example_as_a_process_exits_at_end_of_input() -> None:
    reqs = [{"type": "hello", "protocol": 1, "tuner": "d"}, {"type": "prepare", "job": JOB, "options": {}, "seed": 1, "engine": "x"}, decide(1, 0, 1, 1000)]
    p = subprocess.run([sys.executable, "-m", "streamtune_tuner.examples.ds2"], input="".join(json.dumps(r) + "\n" for r in reqs), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    lines = [json.loads(line) for line in p.stdout.splitlines()]
    assert [a["type"] for a in lines] == ["hello", "ready", "keep"]


def test_numpy_integers_go_as_json_numbers_and_a_reason_that_is_not_json_is_an_error() -> None:
    import numpy as np

    class Numpy(Tuner):
        def decide(self, view: View) -> Decision:
            return Rescale({"agg": np.int64(3)}, "argmin")  # type: ignore[dict-item]

    class NaN(Tuner):
        def decide(self, view: View) -> Decision:
            return Rescale({"agg": float("nan")}, "oops")  # type: ignore[dict-item]

    reqs = [{"type": "hello", "protocol": 1, "tuner": "n"}, {"type": "prepare", "job": JOB, "options": {}, "seed": 1, "engine": "x"}, decide(1, 0, 1, 100)]
    assert exchange(Numpy(), reqs)[-1] == {"type": "rescale", "parallelism": {"agg": 3}, "reason": "argmin"}
    last = exchange(NaN(), reqs)[-1]
    assert last["type"] == "error" and "ValueError" in last["message"]
