"""Run in a fresh process by run.py: prints seconds for ``import mockserver``, for the pytest plugin's session
server to start (import the server, create the app, bind, start the thread), and for its first chat request.

``python startup_probe.py deps`` prints the seconds for importing only the third-party modules that start-up loads,
as a ``modules`` run of this script lists them (starlette, uvicorn, pydantic-settings with pydantic, pyyaml, orjson
and what they import): the floor no code of ours can go under. ``python startup_probe.py session`` imports openai
and pytest first, as a test session has by the time its first test asks for the server, and prints the same three
numbers."""

from __future__ import annotations

import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "fresh"
LOADED_AT_START = set(sys.modules)
if MODE == "deps":
    # Imported here, not above: in the other modes they would be loaded before `import mockserver` is timed.
    import contextlib
    import importlib
    import subprocess

    names = subprocess.run([sys.executable, __file__, "modules"], capture_output=True, text=True, check=True).stdout
    started = time.perf_counter()
    for name in names.split():
        # A name only its package can register (Cython's shared module, multiprocessing's `__mp_main__`) fails
        # here and is loaded with that package already.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    print(f"{time.perf_counter() - started:.6f}")
    raise SystemExit(0)
if MODE == "session":
    import openai  # noqa: F401
    import pytest  # noqa: F401

started = time.perf_counter()
import mockserver  # noqa: E402

imported = time.perf_counter() - started

started = time.perf_counter()
from mockserver.config import NoMatch, Settings  # noqa: E402
from mockserver.server import MockServer  # noqa: E402

server = MockServer(Settings(host="127.0.0.1", port=0, reload=False, no_match=NoMatch.STRICT)).start()
start_up = time.perf_counter() - started
if MODE == "modules":
    third_party = [
        name
        for name in sys.modules
        if name not in LOADED_AT_START and name.partition(".")[0] not in {"mockserver", *sys.stdlib_module_names}
    ]
    print(" ".join(third_party))  # in the order they were loaded, so importing them again follows it
    server.stop()
    raise SystemExit(0)

import httpx  # noqa: E402

server.context.store.add(mockserver.Fixture.model_validate({"match": {}, "reply": {"content": "pong"}}))
body = {"model": "openai/chat-completion/models/gpt-4o", "messages": [{"role": "user", "content": "ping"}]}
with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer probe"}) as client:
    client.get("/models")  # the connection itself is not what is measured
    started = time.perf_counter()
    response = client.post("/chat/completions", json=body)
    first = time.perf_counter() - started
assert response.status_code == 200, response.text
server.stop()
print(f"{imported:.6f} {start_up:.6f} {first:.6f}")
