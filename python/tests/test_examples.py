"""The examples on hand-computed windows (the contract suite in the harness runs them against the built-ins)."""

from __future__ import annotations

import pytest

from streamtune_tuner import Job, Keep, Rescale, Snapshot, View
from streamtune_tuner.examples.capacity_sklearn import CapacityModel
from streamtune_tuner.examples.ds2 import Ds2, to_precision

from test_runner import JOB, decide


def view(window: int, agg: int, busy: float, episode: int = 0) -> View:
    d = decide(window, episode, agg, busy)
    return View.from_wire(d, Job.from_wire(JOB))


def test_to_precision_writes_numbers_as_javascript_does() -> None:
    assert [to_precision(x, 4) for x in [2500, 1000, 324.87, 0.000123456, 123456, 1e21, 0]] == ["2500", "1000", "324.9", "0.0001235", "1.235e+5", "1.000e+21", "0.000"]


def test_ds2_hand_computed() -> None:
    t = Ds2()
    t.prepare(Job.from_wire(JOB), {"overProvisioning": 0.1}, 1, "x")
    # agg at 1 instance, busy 1000 ms/s, 100 records/s: tpr/p = 100, in = 100 -> ceil(1 x 1.1) = 2
    d = t.decide(view(1, 1, 1000))
    assert isinstance(d, Rescale) and d.parallelism == {"agg": 2}
    # at 2 instances busy 500: tpr/p = 100 -> pi_raw 1, ceil(1.1) = 2, nothing to change
    assert isinstance(t.decide(view(2, 2, 500)), Keep)


def test_ds2_refuses_unknown_options() -> None:
    with pytest.raises(ValueError, match="unknown option"):
        Ds2().prepare(Job.from_wire(JOB), {"overprovisioning": 1}, 1, "x")


def test_capacity_model_learns_a_sub_linear_operator() -> None:
    t = CapacityModel()
    t.prepare(Job.from_wire(JOB), {"headroom": 0}, 1, "x")
    # first window: linear through the origin -> 1 instance at busy 1000 gives 100/s; demand 100 -> 1 is enough
    assert isinstance(t.decide(view(1, 1, 1000)), Keep)
    # 2 instances processing only 150/s at full busy: capacity(p) = 50 p + 50; demand 220 needs p = 4 (DS2's
    # linear model, 75/s per instance at p = 2, would say 3)
    snap = view(2, 2, 1000).snapshot
    ops = dict(snap.operators)
    ops["agg"] = type(ops["agg"])(**{**ops["agg"].__dict__, "records_in_per_second": 220.0, "true_processing_rate": 150.0})
    v = view(2, 2, 1000)
    v2 = View(window=2, episode=0, job=v.job, parallelism=v.parallelism, snapshot=Snapshot(**{**snap.__dict__, "operators": ops}), target_rate=100, clock=20, shared_workers=False)
    d = t.decide(v2)
    assert isinstance(d, Rescale) and d.parallelism == {"agg": 4}
    assert t.capacity("agg", 3) < 220 <= t.capacity("agg", 4)
