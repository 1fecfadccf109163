"""The base class: a Python tuner is one subclass with decide() (and prepare() if it needs set-up)."""

from __future__ import annotations

import random
from typing import Any

from .messages import Decision, Job, View


class Tuner:
    """A policy over observations, as the harness's own tuners: decide() reads the view and answers; it does no
    I/O (the runner owns stdin and stdout, and print() goes to stderr). Seed every random choice with `self.rng`."""

    #: The tuner's own name, sent in the handshake (the experiment names it by its key under `tuners`).
    name: str = "python-tuner"

    def __init__(self) -> None:
        self.job: Job | None = None
        self.options: dict[str, Any] = {}
        self.seed = 0
        self.engine = ""
        self.rng = random.Random(0)

    def prepare(self, job: Job, options: dict[str, Any], seed: int, engine: str) -> None:
        """Called once before the first window. The default keeps everything on self; override to load a model or
        check options (raise ValueError naming a bad option: the run fails with its message)."""
        self.job = job
        self.options = options
        self.seed = seed
        self.engine = engine
        self.rng = random.Random(seed)

    def decide(self, view: View) -> Decision:
        raise NotImplementedError

    def close(self) -> None:
        """Called when the run ends."""
