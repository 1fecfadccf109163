"""A learned capacity model per operator (scikit-learn): for each operator, a linear regression of its true
processing rate (records/s of busy time, all instances) on its parallelism, fitted on every window the run has
seen. Each operator gets the smallest parallelism whose predicted capacity covers its demand (its observed input,
scaled up by how far the sources fall short of the target) times (1 + headroom). Until an operator has been seen
at two parallelisms the model is the line through the origin (DS2's linear assumption); after that it learns the
slope and offset, so a sub-linear operator (coordination overhead) gets more instances than DS2 would give it.

    python -m streamtune_tuner.examples.capacity_sklearn        options: {"headroom": 0.1}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression

from streamtune_tuner import Decision, Job, Keep, Rescale, Tuner, View, run


class CapacityModel(Tuner):
    name = "capacity-sklearn"

    def prepare(self, job: Job, options: dict[str, Any], seed: int, engine: str) -> None:
        super().prepare(job, options, seed, engine)
        unknown = set(options) - {"headroom"}
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)} (expected headroom)")
        headroom = options.get("headroom", 0.1)
        if not isinstance(headroom, (int, float)) or headroom < 0:
            raise ValueError(f"headroom: expected a number >= 0, got {headroom!r}")
        self.headroom = float(headroom)
        # Per operator: (parallelism, true processing rate) of every window seen.
        self.samples: dict[str, list[tuple[int, float]]] = {o.id: [] for o in job.operators}

    def capacity(self, op_id: str, p: int) -> float:
        """Predicted records/s the operator processes at parallelism p."""
        pts = self.samples[op_id]
        if len({q for q, _ in pts}) < 2:
            q, rate = pts[-1]
            return rate / q * p
        x = np.array([[q] for q, _ in pts], dtype=float)
        y = np.array([r for _, r in pts], dtype=float)
        model = LinearRegression().fit(x, y)
        return float(model.predict(np.array([[p]], dtype=float))[0])

    def decide(self, view: View) -> Decision:
        snap = view.snapshot
        if view.shared_workers:
            return Keep("capacity model: per-operator parallelism only (no shared workers)")
        for op_id, m in snap.operators.items():
            tpr = m.true_processing_rate
            if tpr is not None and tpr > 0 and math.isfinite(tpr):
                self.samples[op_id].append((view.parallelism[op_id], tpr))
        shortfall = view.target_rate / snap.achieved_rate if snap.achieved_rate > 0 else 1.0
        nxt: dict[str, int] = {}
        reasons: dict[str, str] = {}
        for o in view.job.operators:
            if o.type == "source" or not self.samples[o.id]:
                continue
            demand = (snap.operators[o.id].records_in_per_second or 0.0) * max(1.0, shortfall) * (1 + self.headroom)
            cap = min(o.max_parallelism, view.max_operator_parallelism or o.max_parallelism)
            p = next((q for q in range(1, cap + 1) if self.capacity(o.id, q) >= demand), cap)
            if p != view.parallelism[o.id]:
                nxt[o.id] = p
                reasons[o.id] = f"demand {demand:.0f}/s, predicted capacity at {p}: {self.capacity(o.id, p):.0f}/s"
        if not nxt:
            return Keep("capacity model: every operator's predicted capacity covers its demand")
        return Rescale(nxt, f"capacity model ({len(nxt)} operators)", reasons)


if __name__ == "__main__":
    run(CapacityModel())
