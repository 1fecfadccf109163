"""The runner: speaks the tuner protocol on stdin/stdout for one Tuner (JSON lines, one answer per request)."""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any, Optional, TextIO

from .messages import PROTOCOL_VERSION, Job, View
from .tuner import Tuner


class ProtocolError(Exception):
    """The harness sent something this runner does not understand."""


class Session:
    """The protocol state of one tuner: handle(request) -> the answer (a dict to write as one line)."""

    def __init__(self, tuner: Tuner) -> None:
        self.tuner = tuner
        self.job: Optional[Job] = None
        self.episode = -1
        self.episode_views: list[View] = []
        self.history: list[View] = []
        self.closed = False

    def handle(self, msg: dict[str, Any]) -> dict[str, Any]:
        kind = msg.get("type")
        if kind == "hello":
            if msg.get("protocol") != PROTOCOL_VERSION:
                return {"type": "error", "message": f"this runner speaks protocol {PROTOCOL_VERSION}, the harness {msg.get('protocol')}"}
            return {"type": "hello", "protocol": PROTOCOL_VERSION, "name": self.tuner.name}
        if kind == "prepare":
            self.job = Job.from_wire(msg["job"])
            self.tuner.prepare(self.job, dict(msg.get("options") or {}), int(msg["seed"]), str(msg["engine"]))
            return {"type": "ready"}
        if kind == "decide":
            if self.job is None:
                raise ProtocolError("decide before prepare")
            view = View.from_wire(msg, self.job)
            if view.episode != self.episode:
                self.episode = view.episode
                self.episode_views = []
            self.episode_views.append(view)
            self.history.append(view)
            view.episode_views.extend(self.episode_views)
            view.history.extend(self.history)
            return self.tuner.decide(view).to_wire()
        if kind == "close":
            self.closed = True
            self.tuner.close()
            return {"type": "bye"}
        raise ProtocolError(f"unknown request type {kind!r}")


def serve(tuner: Tuner, stdin: TextIO, stdout: TextIO) -> int:
    """Answers requests until close or end of input; returns the exit code."""
    session = Session(tuner)
    for line in stdin:
        if line.strip() == "":
            continue
        try:
            answer = session.handle(json.loads(line))
            text = json.dumps(answer, allow_nan=False, separators=(",", ":"))
        except Exception as e:  # the tuner's own failure: tell the harness in one message, details on stderr
            traceback.print_exc(file=sys.stderr)
            answer = {"type": "error", "message": f"{type(e).__name__}: {e}"}
            text = json.dumps(answer)
        stdout.write(text + "\n")
        stdout.flush()
        if session.closed or answer["type"] == "error":
            return 0 if session.closed else 1
    return 0


def run(tuner: Tuner) -> None:
    """The entry point of a tuner script: `if __name__ == "__main__": run(MyTuner())`. Protocol lines go to the
    real stdout; anything the tuner prints goes to stderr, so a stray print() cannot break the protocol."""
    protocol_out = sys.stdout
    sys.stdout = sys.stderr
    try:
        code = serve(tuner, sys.stdin, protocol_out)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
