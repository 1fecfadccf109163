"""Executes the notebooks headless with nbclient (npm run notebooks calls this with the venv's python).

    run.py --out DIR [--run RUN_FOLDER] [--figures FIGURES_FOLDER]

explore-run.ipynb runs against the run folder, figures-*.ipynb against the figures folder; each executed notebook is
written to DIR (the committed ones stay without outputs). A cell error stops with exit 1, naming the notebook and
the cell.
"""
import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", help="a run folder (results/<name>/<run-id>)")
    p.add_argument("--figures", help="a figures folder (results/paper/figures)")
    p.add_argument("--out", required=True, help="where the executed notebooks and their charts go")
    p.add_argument("--timeout", type=int, default=600, help="seconds a cell may take")
    a = p.parse_args()
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    chosen = []
    if a.run:
        os.environ["STREAMTUNE_RUN"] = str(Path(a.run).resolve())
        chosen.append(HERE / "explore-run.ipynb")
    if a.figures:
        os.environ["STREAMTUNE_FIGURES"] = str(Path(a.figures).resolve())
        chosen += sorted(HERE.glob("figures-*.ipynb"))
    if not chosen:
        print("error: give --run and/or --figures", file=sys.stderr)
        return 2
    os.environ["STREAMTUNE_NOTEBOOK_OUT"] = str(out / "charts")
    for path in chosen:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=a.timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}})
        try:
            client.execute()
        except CellExecutionError as e:
            nbformat.write(nb, out / path.name)
            first = str(e).strip().splitlines()
            print(f"error: {path.name}: a cell failed: {first[-1] if first else e} (executed copy: {out / path.name})", file=sys.stderr)
            return 1
        nbformat.write(nb, out / path.name)
        print(f"ok: {path.name} -> {out / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
