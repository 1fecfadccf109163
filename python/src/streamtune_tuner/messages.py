"""The tuner protocol's messages as typed Python values.

The one definition is the harness's TypeScript (src/tuners/external/protocol.ts, with a JSON Schema per message
under schema/tuner-protocol/); these classes read the harness's requests and write the tuner's answers. Wire
names are camelCase; attributes here are snake_case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union

PROTOCOL_VERSION = 1

Parallelism = dict[str, int]


def _num(x: Any) -> Optional[float]:
    """A metric on the wire: a number, or null when the engine's value was not finite."""
    return None if x is None else float(x)


@dataclass(frozen=True)
class Operator:
    id: str
    type: str
    cost: float
    selectivity: float
    partitioning: str
    key_skew: float
    state_size_mb: float
    max_parallelism: int
    rate_share: Optional[float] = None
    label: Optional[str] = None

    @staticmethod
    def from_wire(o: Mapping[str, Any]) -> Operator:
        return Operator(
            id=o["id"],
            type=o["type"],
            cost=float(o["cost"]),
            selectivity=float(o["selectivity"]),
            partitioning=o["partitioning"],
            key_skew=float(o["keySkew"]),
            state_size_mb=float(o["stateSizeMb"]),
            max_parallelism=int(o["maxParallelism"]),
            rate_share=_num(o.get("rateShare")),
            label=o.get("label"),
        )


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    ship: str
    share: float


@dataclass(frozen=True)
class Job:
    """The job's DAG; `operators` is in a topological order (upstream before downstream)."""

    name: str
    operators: tuple[Operator, ...]
    edges: tuple[Edge, ...]

    @staticmethod
    def from_wire(j: Mapping[str, Any]) -> Job:
        return Job(
            name=j["name"],
            operators=tuple(Operator.from_wire(o) for o in j["operators"]),
            edges=tuple(Edge(e["from"], e["to"], e["ship"], float(e["share"])) for e in j["edges"]),
        )

    @property
    def operator_ids(self) -> list[str]:
        return [o.id for o in self.operators]

    def operator(self, op_id: str) -> Operator:
        for o in self.operators:
            if o.id == op_id:
                return o
        raise KeyError(f"job '{self.name}': no operator '{op_id}'")

    def downstream(self, op_id: str) -> list[str]:
        """Sorted, as the harness sorts them."""
        return sorted(e.target for e in self.edges if e.source == op_id)

    def upstream(self, op_id: str) -> list[str]:
        return sorted(e.source for e in self.edges if e.target == op_id)

    def sources(self) -> list[str]:
        return [o.id for o in self.operators if o.type == "source"]


@dataclass(frozen=True)
class OperatorMetrics:
    """One operator's window (Flink's meaning; ratios in ms per second). None: the value was not finite."""

    parallelism: Optional[float]
    busy_ms_per_second: Optional[float]
    busy_ms_per_second_max: Optional[float]
    idle_ms_per_second: Optional[float]
    back_pressured_ms_per_second: Optional[float]
    back_pressured_ms_per_second_max: Optional[float]
    records_in_per_second: Optional[float]
    records_out_per_second: Optional[float]
    true_processing_rate: Optional[float]
    true_output_rate: Optional[float]

    @staticmethod
    def from_wire(m: Mapping[str, Any]) -> OperatorMetrics:
        return OperatorMetrics(
            parallelism=_num(m["parallelism"]),
            busy_ms_per_second=_num(m["busyMsPerSecond"]),
            busy_ms_per_second_max=_num(m["busyMsPerSecondMax"]),
            idle_ms_per_second=_num(m["idleMsPerSecond"]),
            back_pressured_ms_per_second=_num(m["backPressuredMsPerSecond"]),
            back_pressured_ms_per_second_max=_num(m["backPressuredMsPerSecondMax"]),
            records_in_per_second=_num(m["recordsInPerSecond"]),
            records_out_per_second=_num(m["recordsOutPerSecond"]),
            true_processing_rate=_num(m["trueProcessingRate"]),
            true_output_rate=_num(m["trueOutputRate"]),
        )


@dataclass(frozen=True)
class SourceMetrics:
    target_rate: Optional[float]
    achieved_rate: Optional[float]
    lag_records: Optional[float]


@dataclass(frozen=True)
class Snapshot:
    time: float
    window_seconds: float
    operators: dict[str, OperatorMetrics]
    sources: dict[str, SourceMetrics]
    target_rate: float
    achieved_rate: float
    note: Optional[str] = None

    @staticmethod
    def from_wire(s: Mapping[str, Any]) -> Snapshot:
        return Snapshot(
            time=float(s["time"]),
            window_seconds=float(s["windowSeconds"]),
            operators={k: OperatorMetrics.from_wire(v) for k, v in s["operators"].items()},
            sources={
                k: SourceMetrics(_num(v["targetRate"]), _num(v["achievedRate"]), _num(v["lagRecords"]))
                for k, v in s["sources"].items()
            },
            target_rate=float(s["targetRate"]),
            achieved_rate=float(s["achievedRate"]),
            note=s.get("note"),
        )


@dataclass(frozen=True)
class RescaleOutcome:
    """This episode's last rescale that did not run as asked."""

    requested: Parallelism
    running: Parallelism
    took_effect: bool
    note: Optional[str] = None


@dataclass(frozen=True)
class View:
    """What the tuner sees of one window. `episode_views` and `history` are kept by the runner, oldest first,
    this view included: this episode's views and every view of the run."""

    window: int
    episode: int
    job: Job
    parallelism: Parallelism
    snapshot: Snapshot
    target_rate: float
    clock: float
    shared_workers: bool
    max_operator_parallelism: Optional[int] = None
    last_rescale: Optional[RescaleOutcome] = None
    episode_views: list[View] = field(default_factory=list, repr=False, compare=False)
    history: list[View] = field(default_factory=list, repr=False, compare=False)

    @staticmethod
    def from_wire(d: Mapping[str, Any], job: Job) -> View:
        v = d["view"]
        lr = v.get("lastRescale")
        return View(
            window=int(d["window"]),
            episode=int(d["episode"]),
            job=job,
            parallelism={k: int(x) for k, x in v["parallelism"].items()},
            snapshot=Snapshot.from_wire(v["snapshot"]),
            target_rate=float(v["targetRate"]),
            clock=float(v["clock"]),
            shared_workers=bool(v["sharedWorkers"]),
            max_operator_parallelism=v.get("maxOperatorParallelism"),
            last_rescale=None
            if lr is None
            else RescaleOutcome(
                requested={k: int(x) for k, x in lr["requested"].items()},
                running={k: int(x) for k, x in lr["running"].items()},
                took_effect=bool(lr["tookEffect"]),
                note=lr.get("note"),
            ),
        )


@dataclass(frozen=True)
class Keep:
    """Keep the deployed configuration: the tuner has converged."""

    reason: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": "keep", "reason": self.reason}


@dataclass(frozen=True)
class Wait:
    """Not yet: observe another window first."""

    reason: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": "wait", "reason": self.reason}


@dataclass(frozen=True)
class Rescale:
    """A new parallelism for the operators to change (those left out keep theirs), with per-operator reasons."""

    parallelism: Parallelism
    reason: str
    reasons: Optional[dict[str, str]] = None

    def to_wire(self) -> dict[str, Any]:
        # numpy integers (a model's argmin) are not JSON: whole numbers go as int, anything else as it is, for the
        # harness to refuse with a clear message.
        def number(v: Any) -> Any:
            try:
                return int(v) if float(v).is_integer() else float(v)
            except (TypeError, ValueError):
                return v

        out: dict[str, Any] = {"type": "rescale", "parallelism": {k: number(v) for k, v in self.parallelism.items()}, "reason": self.reason}
        if self.reasons:
            out["reasons"] = dict(self.reasons)
        return out


Decision = Union[Keep, Wait, Rescale]
