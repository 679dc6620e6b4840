"""Run a lesson notebook top to bottom in a fresh kernel, with the standard tools as shipped.

:func:`execute` builds the notebook and runs it with a plain ``nbclient.NotebookClient`` (as
``bench/notebook_times.py`` does); :func:`papermill` and :func:`nbconvert` run a committed notebook file
with those tools' own command lines (as the test suite, a teacher or a CI server does). Parameters are set
the way papermill sets them: a cell tagged ``injected-parameters`` right after the ``parameters`` cell
overrides the defaults. A run stops at the first cell that fails (its error output stays in the notebook);
:func:`errors` lists the error outputs of an executed notebook and :func:`text_output` its text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lessons.notebooks import NOTEBOOKS_DIR, build_notebook, notebook_path, recipe
from lessons.notebooks.widgets import PANEL_CLASS


def inject(nb, parameters: dict[str, Any]):
    """Insert an ``injected-parameters`` cell after the ``parameters`` cell (ValueError if there is none)."""
    from nbformat import v4

    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), None)
    if index is None:
        raise ValueError("the notebook has no cell tagged 'parameters'")
    cell = v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    cell.id = "injected-parameters"
    nb.cells.insert(index + 1, cell)
    return nb


CPU_MARK = "kernel CPU seconds:"
KERNEL_INFO_TIMEOUT_S = 20


def execute(slug: str, parameters: dict[str, Any] | None = None, quick: bool = False, timeout: int = 600,
            cwd: Path | None = None, measure_cpu: bool = False):
    """Build and run the notebook of ``slug`` until its end or its first failing cell.

    Returns ``(executed notebook, seconds)``. ``quick`` injects the recipe's small test parameters
    (``parameters`` are applied on top). A cell running past ``timeout`` seconds raises. ``measure_cpu``
    appends a cell printing the kernel's CPU time (user + system, all threads), read by :func:`kernel_cpu`.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    values = {**(recipe(slug).quick if quick else {}), **(parameters or {})}
    nb = build_notebook(slug)
    if values:
        inject(nb, values)
    if measure_cpu:
        from nbformat import v4

        nb.cells.append(v4.new_code_cell(f"import os\nprint({CPU_MARK!r}, sum(os.times()[:2]))"))
    # nbclient waits for the kernel_info reply with the client's ``timeout`` and goes on when it times out;
    # on a loaded machine that reply is sometimes lost, so that wait is kept short and cells get ``timeout``.
    client = NotebookClient(nb, timeout=KERNEL_INFO_TIMEOUT_S, timeout_func=lambda cell: timeout,
                            kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(cwd or NOTEBOOKS_DIR)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError:
        pass  # the failing cell's error output is in ``nb``
    return nb, time.perf_counter() - start


def _run_tool(command: list[str], output: Path, timeout: int):
    """Run a notebook tool's command line; ``(executed notebook, seconds, exit status)``.

    The tool's own output is kept in ``<output>.log`` beside the notebook. A run past ``timeout``
    seconds is killed and raises ``subprocess.TimeoutExpired``: a hang fails, it never waits forever.
    """
    import nbformat

    start = time.perf_counter()
    with open(output.with_suffix(".log"), "w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False)
    return nbformat.read(output, as_version=4), time.perf_counter() - start, done.returncode


def papermill(slug: str, output: Path, parameters: dict[str, Any] | None = None, quick: bool = False,
              timeout: int = 600):
    """Run the committed notebook of ``slug`` with papermill's command line into ``output``.

    ``quick`` passes the recipe's small test parameters (``parameters`` on top) as papermill's YAML
    parameters; each cell may take ``timeout`` seconds and the whole run at most twice that.
    """
    values = {**(recipe(slug).quick if quick else {}), **(parameters or {})}
    command = [sys.executable, "-m", "papermill", str(notebook_path(slug)), str(output),
               "--cwd", str(NOTEBOOKS_DIR), "--execution-timeout", str(timeout), "--no-progress-bar"]
    if values:
        command += ["-y", json.dumps(values)]
    return _run_tool(command, output, 2 * timeout)


def nbconvert(slug: str, output: Path, timeout: int = 600):
    """Run the committed notebook of ``slug`` at its defaults with ``jupyter nbconvert --to notebook --execute``."""
    command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               str(notebook_path(slug)), "--output", str(output.resolve()),
               f"--ExecutePreprocessor.timeout={timeout}"]
    return _run_tool(command, output, 2 * timeout)


def errors(nb) -> list[dict]:
    """Every error output of an executed notebook: ``{"cell": index, "ename", "evalue", "traceback"}``."""
    out = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                out.append({"cell": i, "ename": output["ename"], "evalue": output["evalue"],
                            "traceback": "\n".join(output.get("traceback", []))})
    return out


def text_output(nb) -> str:
    """All stream and ``text/plain`` outputs of the code cells, in order."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            elif output.get("output_type") in ("execute_result", "display_data"):
                data = output.get("data", {})
                if "text/plain" in data and "application/vnd.plotly.v1+json" not in data:
                    parts.append(data["text/plain"])
    return "\n".join(parts)


def kernel_cpu(nb) -> float | None:
    """The kernel CPU seconds printed by the cell :func:`execute` appends with ``measure_cpu``."""
    for line in text_output(nb).splitlines():
        if line.startswith(CPU_MARK):
            return float(line.split()[-1])
    return None


def panel_outputs(nb, css_class: str = PANEL_CLASS) -> list[list[dict]]:
    """The outputs of each Output widget of ``css_class`` in an executed notebook's saved widget state, in
    the order the kernel made them: the panels of :func:`~lessons.notebooks.widgets.explore` by default,
    the figures of a :class:`~lessons.notebooks.widgets.Redraw` with ``FIGURE_CLASS``."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [list(m["state"].get("outputs", [])) for m in state.values()
            if m.get("model_name") == "OutputModel" and css_class in m["state"].get("_dom_classes", ())]
