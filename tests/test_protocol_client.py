"""The follow bench's protocol follower (``bench/protocol_client.py``) speaks to a real server as the
browser's front end does: it gets its page's whole run, the URL's query string that the page writes,
and the follow fragment's runs, which only its own timer asks for (the server never reruns a fragment
by itself)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.protocol_client import ProtocolFollower
from tests.conftest import start_server, stop_process

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own, with a class database of its own: no teacher presents there."""
    proc, url = start_server({"WGAN_CLASS_DB": str(tmp_path_factory.mktemp("class") / "class.sqlite3")})
    yield url
    stop_process(proc)


async def _visit(url: str, path: str, query: str, fragment_runs: int) -> ProtocolFollower:
    client = ProtocolFollower(url, path, query)
    await client.open()
    try:
        await client.wait_run(lambda run: True, timeout=180)
        for _ in range(600):  # until its timer has asked for that many fragment runs (at most a minute)
            if client.fragment_runs >= fragment_runs:
                break
            await asyncio.sleep(0.1)
    finally:
        await client.close()
    return client


def _run(coroutine):
    # Its own thread: the scenario runs its own asyncio loop, which cannot start where the sync
    # browser fixture of this worker already runs one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_protocol_follower_gets_its_lesson_the_query_string_and_the_fragment_runs_it_asks_for(server):
    client = _run(_visit(server, "nash", "eta=0.2", fragment_runs=2))
    run = client.runs[0]
    assert run.headings[0] == "Hard to reach a Nash equilibrium"
    assert run.errors == 0
    assert client.page_name == "nash"
    # The page writes every control into the URL; the link's own value is kept.
    assert client.query == "eta=0.2&steps=150&x0=1&y0=1&alternating=1"
    # The follow fragment ran again on the client's own timer, and each of those runs was a fragment's
    # run: the lesson's page ran once.
    assert client.fragment_runs >= 2
    assert len(client.runs) == 1


def test_a_protocol_follower_opens_the_home_page_by_default(server):
    client = _run(_visit(server, "", "", fragment_runs=0))
    assert client.runs[0].headings[0] == "WGAN classroom"
    assert client.page_name == ""
