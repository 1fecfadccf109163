"""Write a StreamTune Lab tuner in Python: subclass Tuner, implement decide(view), call run(MyTuner()).

    from streamtune_tuner import Keep, Rescale, Tuner, View, run

    class Double(Tuner):
        def decide(self, view: View) -> Keep | Rescale:
            ...

    if __name__ == "__main__":
        run(Double())

Configure it in an experiment as {"kind": "external", "command": ["python3", "double.py"]}.
"""

from .messages import (
    PROTOCOL_VERSION,
    Decision,
    Edge,
    Job,
    Keep,
    Operator,
    OperatorMetrics,
    Parallelism,
    Rescale,
    RescaleOutcome,
    Snapshot,
    SourceMetrics,
    View,
    Wait,
)
from .runner import Session, serve, run
from .tuner import Tuner

__all__ = [
    "PROTOCOL_VERSION",
    "Decision",
    "Edge",
    "Job",
    "Keep",
    "Operator",
    "OperatorMetrics",
    "Parallelism",
    "Rescale",
    "RescaleOutcome",
    "Session",
    "Snapshot",
    "SourceMetrics",
    "Tuner",
    "View",
    "Wait",
    "run",
    "serve",
]
