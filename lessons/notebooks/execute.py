"""Run a lesson notebook top to bottom in a fresh kernel (nbclient), as CI and ``bench/notebook_times.py`` do.

Parameters are set the way papermill sets them: a cell tagged ``injected-parameters`` right after the
``parameters`` cell overrides the defaults. The run stops at the first cell that
fails (its error output stays in the notebook); :func:`errors` lists the error outputs of an executed
notebook and :func:`text_output` its text.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lessons.notebooks import NOTEBOOKS_DIR, build_notebook, recipe


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
#: A channel read waits in slices this long. One ``socket.poll`` sometimes misses the wake-up of a
#: message that has already arrived (seen after ipywidgets cells: kernel and client both idle until
#: the cell timeout, then the reply is read and the run goes on); a fresh poll sees it at once.
POLL_SLICE_S = 1.0


def _sliced(get_msg):
    """``get_msg(timeout)`` of a kernel channel, polled in :data:`POLL_SLICE_S` slices up to ``timeout``."""
    from queue import Empty

    async def get(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE_S if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await get_msg(timeout=min(POLL_SLICE_S, left))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get


def _client(nb, **options):
    """An nbclient ``NotebookClient`` whose shell and IOPub reads are :func:`_sliced`."""
    from nbclient import NotebookClient

    class SlicedPollClient(NotebookClient):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            kc.shell_channel.get_msg = _sliced(kc.shell_channel.get_msg)
            kc.iopub_channel.get_msg = _sliced(kc.iopub_channel.get_msg)
            return kc

    return SlicedPollClient(nb, **options)


def execute(slug: str, parameters: dict[str, Any] | None = None, quick: bool = False, timeout: int = 600,
            cwd: Path | None = None, measure_cpu: bool = False):
    """Build and run the notebook of ``slug`` until its end or its first failing cell.

    Returns ``(executed notebook, seconds)``. ``quick`` injects the recipe's small test parameters
    (``parameters`` are applied on top). A cell running past ``timeout`` seconds raises. ``measure_cpu``
    appends a cell printing the kernel's CPU time (user + system, all threads), read by :func:`kernel_cpu`.
    """
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
    client = _client(nb, timeout=KERNEL_INFO_TIMEOUT_S, timeout_func=lambda cell: timeout,
                            kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(cwd or NOTEBOOKS_DIR)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError:
        pass  # the failing cell's error output is in ``nb``
    return nb, time.perf_counter() - start


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
