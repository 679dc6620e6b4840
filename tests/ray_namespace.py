"""Run a command beside a Ray cluster inside a private network namespace (loopback only).

Outside such a namespace Ray rewrites ``127.0.0.1`` to the machine's own address and asks the network
for cloud metadata and DNS, so tests and benches never start Ray in the machine's own network. The
namespace (``unshare --net --pid --fork --mount-proc --kill-child``) has its own loopback and its own
pid space: a SIGKILL of the ``unshare`` process ends every Ray process in it (``ray stop`` would end
every Ray process on the machine, other users' too, so nothing here calls it).
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = 6390


def unshare_refusal() -> str | None:
    """Why no namespace can be made here, or None when one can."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = _unshare() + ["true"]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    return None if done.returncode == 0 else f"unshare is refused here: {done.stderr.strip()}"


def _unshare() -> list[str]:
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    return ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child", *user]


def head_script(num_cpus: int = 2, port: int = PORT) -> str:
    """Bash lines that start a Ray head on ``127.0.0.1:port`` and export ``WGAN_RAY_ADDRESS``.

    The raylet waits a fixed 15 s for its agents to write their ports into the session folder and
    aborts the head when they are late; on a loaded 2-core machine their Python start-up alone takes
    longer (measured here: 16-34 s at a load of 10-20). So the head gets a known node id and a fixed
    runtime-env agent port, and a watcher writes the files the agents would write (``-1`` for the
    dashboard agent's ports, which a minimal install does not serve, and the fixed port) as soon as
    the session folder appears; the agents write the same values when they are up.
    """
    env_port = port + 4
    names = "metrics_agent_port metrics_export_port dashboard_agent_listen_port"
    watcher = ("( for _ in $(seq 1200); do d=\"$RAY_TMP/session_latest\"; if [ -d \"$d\" ]; then "
               f"for n in {names}; do f=\"$d/${{n}}_$RAY_OVERRIDE_NODE_ID_FOR_TESTING\"; "
               "[ -e \"$f\" ] || echo -1 > \"$f\"; done; "
               f"f=\"$d/runtime_env_agent_port_$RAY_OVERRIDE_NODE_ID_FOR_TESTING\"; [ -e \"$f\" ] || echo {env_port} "
               "> \"$f\"; break; fi; sleep 0.1; done ) &\n")
    return ('export RAY_OVERRIDE_NODE_ID_FOR_TESTING=$(python -c "import secrets; print(secrets.token_hex(28))")\n'
            + watcher
            + f"ray start --head --port={port} --num-cpus={num_cpus} --node-ip-address=127.0.0.1 "
            f"--runtime-env-agent-port={env_port} "
            '--temp-dir="$RAY_TMP" --object-store-memory=200000000 --include-dashboard=false '
            "--disable-usage-stats >/dev/null 2>\"$RAY_TMP.log\" || { cat \"$RAY_TMP.log\" >&2; exit %d; }\n"
            f"export WGAN_RAY_ADDRESS=127.0.0.1:{port}\n") % HEAD_FAILED


_AGENT_PORT_FILES = ("metrics_agent_port", "metrics_export_port", "dashboard_agent_listen_port")


def add_cluster_node(cluster, temp_dir: str, env_port: int, **node_args):
    """``cluster.add_node(**node_args)`` (a ``ray.cluster_utils.Cluster``, inside a namespace) with the
    fix of :func:`head_script`: a known node id, a fixed runtime-env agent port, and the agents' port
    files written as soon as the session folder appears, so that a loaded machine's slow agents do not
    make the raylet give up after its fixed 15 s."""
    node_id = secrets.token_hex(28)
    files = {f"{name}_{node_id}": "-1" for name in _AGENT_PORT_FILES}
    files[f"runtime_env_agent_port_{node_id}"] = str(env_port)
    threading.Thread(target=_write_port_files, args=(Path(temp_dir) / "session_latest", files), daemon=True).start()
    return cluster.add_node(env_vars={"RAY_OVERRIDE_NODE_ID_FOR_TESTING": node_id}, runtime_env_agent_port=env_port,
                            node_ip_address="127.0.0.1", temp_dir=temp_dir, include_dashboard=False,
                            object_store_memory=150 * 1024 * 1024, **node_args)


def _write_port_files(session: Path, files: dict[str, str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not session.is_dir() and time.monotonic() < deadline:
        time.sleep(0.1)
    for name, value in files.items():
        path = session / name
        if not path.exists():
            path.write_text(value)


#: Exit status of a namespace whose Ray head did not start.
HEAD_FAILED = 97


def run_in_namespace(body: str, timeout: float, num_cpus: int = 2, env: dict | None = None,
                     attempts: int = 3) -> subprocess.CompletedProcess:
    """Start a Ray head in a fresh namespace, run the bash ``body`` there, return its result.

    The namespace and all in it are killed when ``body`` ends or ``timeout`` s pass (``TimeoutExpired``).
    A head that does not start is tried again in a new namespace, up to ``attempts`` times in all.
    """
    for _ in range(attempts - 1):
        done = _run_once(body, timeout, num_cpus, env)
        if done.returncode != HEAD_FAILED:
            return done
    return _run_once(body, timeout, num_cpus, env)


def run_without_head(body: str, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the bash ``body`` in a fresh namespace with no cluster (``RAY_TMP`` names a short temporary
    folder for one, e.g. a ``ray.cluster_utils.Cluster`` built with :func:`add_cluster_node`)."""
    return _run_once(body, timeout, None, env)


def _run_once(body: str, timeout: float, num_cpus: int | None, env: dict | None) -> subprocess.CompletedProcess:
    home = tempfile.mkdtemp(prefix="wr", dir="/tmp")  # short: Ray's socket paths are limited to 107 bytes
    script = ("set -e\nip link set lo up\n"
              f"export HOME={home} RAY_TMP={home}/r RAY_AUTH_MODE=disabled RAY_USAGE_STATS_ENABLED=0 "
              f"PYTHONPATH={shlex.quote(str(ROOT))}\n"
              f"cd {shlex.quote(str(ROOT))}\n" + (head_script(num_cpus) if num_cpus else "") + body)
    full_env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", **(env or {})}
    process = subprocess.Popen(_unshare() + ["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=full_env, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # SIGKILL of unshare: its pid namespace, hence every Ray process, dies with it
        out, _ = process.communicate()
        raise subprocess.TimeoutExpired(process.args, timeout, output=out) from None
    finally:
        if process.poll() is None:
            process.kill()
        shutil.rmtree(home, ignore_errors=True)
    return subprocess.CompletedProcess(process.args, process.returncode, out, "")


def run_tests_inside(test_files: str | Sequence[str], select: str, timeout: float, passed: int, *,
                     num_cpus: int | None = 2, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the tests of ``test_files`` (one path or several) that ``-k select`` picks in a fresh
    namespace, beside a Ray head of ``num_cpus`` CPUs (``None``: no head; the tests build their
    cluster), as one pytest process: several modules share one cluster.

    Skips where no namespace can be made; fails on a timeout, a failed run, or a count of passed tests
    other than ``passed``. Returns the finished run (its output holds the inner tests' prints)."""
    import pytest

    refusal = unshare_refusal()
    if refusal:
        pytest.skip(refusal)
    files = [test_files] if isinstance(test_files, str) else list(test_files)
    names = ", ".join(Path(f).name for f in files)
    command = (f"python -m pytest {' '.join(shlex.quote(str(f)) for f in files)} -n 0 -x -q -s -p no:cacheprovider "
               f"--durations=12 -k {shlex.quote(select)}\n")
    try:
        done = (run_in_namespace(command, timeout, num_cpus, env) if num_cpus
                else run_without_head(command, timeout, env))
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the namespace run of {names} took over {timeout:g} s:\n{str(exc.output)[-6000:]}")
    assert done.returncode == 0, done.stdout[-6000:]
    assert re.search(rf"(?<!\d){passed} passed", done.stdout), done.stdout[-3000:]
    return done
