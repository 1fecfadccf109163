"""DS2 in Python: "Three steps is all you need: fast, accurate, automatic scaling decisions for distributed
streaming dataflows", Kalavri et al., OSDI 2018. The same policy as the harness's built-in DS2
(src/tuners/ds2/index.ts), step for step in the same floating-point order, so it decides exactly as it does.

    python -m streamtune_tuner.examples.ds2        options: {"overProvisioning": 0.1}
"""

from __future__ import annotations

import math
from typing import Any, Optional

from streamtune_tuner import Decision, Job, Keep, Parallelism, Rescale, Snapshot, Tuner, View, run


def _finite(x: Optional[float]) -> bool:
    return x is not None and math.isfinite(x)


def clamp(job: Job, raw: dict[str, float]) -> Parallelism:
    """ceil and clamp into [1, max]: the harness's clampParallelism."""
    return {o.id: min(o.max_parallelism, max(1, math.ceil(raw.get(o.id, 1.0) - 1e-9))) for o in job.operators}


def ds2_plan(job: Job, snapshot: Snapshot, current: Parallelism, factor: float, scale_sources: bool) -> tuple[dict[str, float], Parallelism, dict[str, float]]:
    """DS2's scaling policy over one snapshot: (pi_raw per operator, the parallelism, the propagated input)."""
    raw: dict[str, float] = {}
    inp: dict[str, float] = {op_id: 0.0 for op_id in job.operator_ids}
    for o in job.operators:
        m = snapshot.operators[o.id]
        p = current.get(o.id, int(m.parallelism or 1))
        tpr = m.true_processing_rate
        tout = m.true_output_rate if m.true_output_rate is not None else 0.0
        if o.type == "source":
            src = snapshot.sources.get(o.id)
            target = src.target_rate if src is not None else None
            if target is not None and target >= 0:
                tout = target
            inp[o.id] = tout
            raw[o.id] = tout / (tpr / p) if scale_sources and tpr is not None and _finite(tpr) and tpr > 0 else float(p)
        elif tpr is not None and _finite(tpr) and tpr > 0:
            pi_raw = inp.get(o.id, 0.0) / (tpr / p)
            raw[o.id] = pi_raw
            tout = (tout * pi_raw) / p
        else:
            raw[o.id] = float(p)
        for d in job.downstream(o.id):
            inp[d] = inp.get(d, 0.0) + tout
    inflated = {k: raw.get(k, 1.0) * (1 + factor) for k in job.operator_ids}
    result = clamp(job, inflated)
    if not scale_sources:
        for s in job.sources():
            result[s] = current.get(s, result[s])
    return raw, result, inp


def consider_change(current: Parallelism, nxt: Parallelism) -> bool:
    """Reconfigure iff some operator goes up, or some operator goes down by more than one instance."""
    return any(n > current.get(k, 0) or n < current.get(k, 0) - 1 for k, n in nxt.items())


def workers_parallelism(job: Job, workers: float) -> Parallelism:
    most = max(o.max_parallelism for o in job.operators)
    w = max(1, math.ceil(min(most, workers) - 1e-9))
    return {o.id: min(w, o.max_parallelism) for o in job.operators}


def to_precision(x: float, digits: int) -> str:
    """JavaScript's Number.prototype.toPrecision (for reasons written as the built-in writes them)."""
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if x == 0:
        return "0." + "0" * (digits - 1) if digits > 1 else "0"
    mantissa, exp_text = f"{x:.{digits - 1}e}".split("e")
    e = int(exp_text)
    if e < -6 or e >= digits:
        return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return f"{x:.{max(0, digits - 1 - e)}f}"


class Ds2(Tuner):
    name = "ds2-python"

    def prepare(self, job: Job, options: dict[str, Any], seed: int, engine: str) -> None:
        super().prepare(job, options, seed, engine)
        unknown = set(options) - {"overProvisioning"}
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)} (expected overProvisioning)")
        factor = options.get("overProvisioning", 0)
        if not isinstance(factor, (int, float)) or factor < 0:
            raise ValueError(f"overProvisioning: expected a number >= 0, got {factor!r}")
        self.factor = float(factor)

    def decide(self, view: View) -> Decision:
        job, current, snap = view.job, view.parallelism, view.snapshot
        factor = self.factor
        if view.shared_workers:
            raw, _, _ = ds2_plan(job, snap, current, factor, True)
            inflated = [raw[k] * (1 + factor) for k in raw]
            w = max(1, *current.values())
            total = sum(inflated)
            nw = max(workers_parallelism(job, max(1, math.ceil(total - 1e-9))).values())
            if not consider_change({"workers": w}, {"workers": nw}):
                return Keep(f"DS2: {w} workers kept (sum of pi_raw = {total:.2f})")
            nxt = workers_parallelism(job, nw)
            if max(nxt.values()) == w:
                return Keep(f"DS2 step: sum of pi_raw = {total:.2f} ({w} workers kept)")
            return Rescale(nxt, f"DS2 step: sum of pi_raw = {total:.2f} ({w} -> {max(nxt.values())} workers)")
        raw, nxt, inp = ds2_plan(job, snap, current, factor, False)
        if not consider_change(current, nxt):
            return Keep("DS2: no operator up and none down by more than 1")
        changed = {k: v for k, v in nxt.items() if v != current.get(k)}
        if not changed:
            return Keep("DS2 step (no change)")

        def why(k: str) -> str:
            m = snap.operators[k]
            tpr = m.true_processing_rate if m.true_processing_rate is not None else 0.0
            return f"in={to_precision(inp.get(k, 0.0), 4)}/s, tpr/p={to_precision(tpr / current.get(k, 1), 4)}/s, pi_raw={raw.get(k, 0.0):.3f}"

        return Rescale(changed, "DS2 step", {k: why(k) for k in changed})


if __name__ == "__main__":
    run(Ds2())
