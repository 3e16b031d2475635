"""The container setup: docker-compose.yml and the Dockerfile describe a server that the real CLI starts."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from click.testing import CliRunner
from openai.types.chat import ChatCompletion

from mockserver import cli
from mockserver.config import DEFAULT_PREFIX, DEFAULT_UPSTREAM, Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
SERVICE = "clarifai-mock"
RECORD_SERVICE = "clarifai-mock-record"
HEALTH_PATH = "/__mock__/health"
ENV_PREFIX = "CLARIFAI_MOCK_"
CONTAINER_PORT = 8080
STARTUP_TIMEOUT = 10.0
HEX32 = re.compile(r"^[0-9a-f]{32}$")


# --- helpers ------------------------------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text("utf-8"))
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


def _service(name: str) -> dict[str, Any]:
    services = _compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    service = services[name]
    assert isinstance(service, dict)
    return service


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` in either compose form (mapping or ``KEY=value`` list)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(str(item).partition("=")[::2] for item in raw)
    return {str(key): str(value) for key, value in raw.items()}


def _volumes(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Short-syntax volumes as ``(source, target, mode)``; mode is ``rw`` when not given."""
    volumes = []
    for entry in service.get("volumes") or []:
        source, target, *mode = str(entry).split(":")
        volumes.append((source, target, mode[0] if mode else "rw"))
    return volumes


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, comments dropped and ``\\`` continuations joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text("utf-8"))
    pairs = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            name, _, rest = stripped.partition(" ")
            pairs.append((name.upper(), rest.strip()))
    return pairs


def _dockerfile_last(instruction: str) -> str:
    found = [rest for name, rest in _dockerfile_instructions() if name == instruction]
    assert found, f"the Dockerfile has no {instruction}"
    return found[-1]  # as in docker, the last one wins


def _exec_form(instruction: str) -> list[str]:
    """The JSON-array (exec form) arguments of ENTRYPOINT or CMD."""
    value = json.loads(_dockerfile_last(instruction))
    assert isinstance(value, list), f"{instruction} must use the JSON exec form"
    assert all(isinstance(item, str) for item in value)
    return [str(item) for item in value]


def _container_argv(service: dict[str, Any]) -> list[str]:
    """What the container runs: ENTRYPOINT plus the compose ``command`` (which replaces CMD) or CMD."""
    command = service.get("command")
    if isinstance(command, str):
        command = command.split()
    args = [str(arg) for arg in command] if command is not None else _exec_form("CMD")
    return _exec_form("ENTRYPOINT") + args


def _compose_cli() -> list[str] | None:
    """``docker-compose``, or ``docker compose`` when its plugin answers; ``None`` when neither works."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") is None:
        return None
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=15, check=False)
    except subprocess.TimeoutExpired:
        return None
    return ["docker", "compose"] if probe.returncode == 0 else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``CLARIFAI_MOCK_*`` variables leak in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, clean_env: None) -> list[Settings]:
    """The ``Settings`` each CLI run would serve with; no server starts."""
    calls: list[Settings] = []
    monkeypatch.setattr(cli, "run_server", calls.append)
    return calls


# --- (a) docker compose itself --------------------------------------------------------------------------------------


def test_docker_compose_accepts_the_file() -> None:
    command = _compose_cli()
    if command is None:
        pytest.skip("neither `docker-compose` nor a working `docker compose` plugin is on PATH")
    env = {k: v for k, v in os.environ.items() if k != "CLARIFAI_PAT"}
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--profile", "record", "config", "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- (b) the compose file's structure, without docker ---------------------------------------------------------------


def test_main_service_builds_the_repo_and_publishes_8080() -> None:
    service = _service(SERVICE)
    assert service["build"] == "."
    assert f"8080:{CONTAINER_PORT}" in [str(port) for port in service["ports"]]
    assert "profiles" not in service, "the main service must start with a plain `docker compose up`"


def test_main_service_mounts_fixtures_read_only() -> None:
    assert ("./fixtures", "/fixtures", "ro") in _volumes(_service(SERVICE))


def test_main_service_environment() -> None:
    env = _environment(_service(SERVICE))
    assert env[f"{ENV_PREFIX}HOST"] == "0.0.0.0"
    assert env[f"{ENV_PREFIX}FIXTURES"] == "/fixtures"


@pytest.mark.parametrize("name", [SERVICE, RECORD_SERVICE])
def test_mock_env_vars_name_real_settings(name: str) -> None:
    for key in _environment(_service(name)):
        if key.startswith(ENV_PREFIX):
            field = key.removeprefix(ENV_PREFIX).lower()
            assert field in Settings.model_fields, f"{name}: {key} is not a Settings field"


@pytest.mark.parametrize("name", [SERVICE, RECORD_SERVICE])
def test_healthcheck_polls_the_health_endpoint_with_python(name: str) -> None:
    check = _service(name)["healthcheck"]
    test = check["test"]
    assert test[0] == "CMD", "exec form, so no shell is needed in the image"
    assert test[1] == "python", "the slim image has no curl"
    found = re.search(r"https?://[^'\"]+", test[-1])
    assert found is not None, "the healthcheck names no URL"
    url = urlsplit(found.group())
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", CONTAINER_PORT, HEALTH_PATH)
    for key in ("interval", "timeout", "retries", "start_period"):
        assert key in check, f"healthcheck lacks {key}"


def test_record_service_is_an_opt_in_profile() -> None:
    service = _service(RECORD_SERVICE)
    assert service["profiles"] == ["record"]
    assert service["build"] == "."
    assert f"8081:{CONTAINER_PORT}" in [str(port) for port in service["ports"]]
    assert ("./recordings", "/recordings", "rw") in _volumes(service)
    env = _environment(service)
    assert env["CLARIFAI_PAT"] == "${CLARIFAI_PAT:-}", "the PAT comes from the caller's environment, never the file"
    assert env[f"{ENV_PREFIX}HOST"] == "0.0.0.0", "`command:` replaces CMD and its --host, so env must bind 0.0.0.0"
    argv = _container_argv(service)
    assert argv[:2] == ["clarifai-mock", "serve"]
    options = dict(zip(argv[2::2], argv[3::2], strict=True))
    assert options == {"--record-mode": "new_episodes", "--upstream": DEFAULT_UPSTREAM, "--fixtures": "/recordings"}


def test_dockerfile_builds_a_slim_non_root_image() -> None:
    assert _dockerfile_last("FROM") == "python:3.11-slim"
    assert any(name == "RUN" and "pip install --no-cache-dir ." in rest for name, rest in _dockerfile_instructions()), (
        "the image installs the repo with pip (not editable, no cache)"
    )
    user = _dockerfile_last("USER")
    assert user not in ("root", "0"), "the server must not run as root"
    assert _dockerfile_last("EXPOSE") == str(CONTAINER_PORT)


def test_dockerfile_entrypoint_is_the_installed_console_script() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert _exec_form("ENTRYPOINT") == ["clarifai-mock"]
    assert scripts["clarifai-mock"] == "mockserver.cli:main"


def test_dockerignore_keeps_local_state_out_of_the_build() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text("utf-8").splitlines()}
    for entry in (".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "**/__pycache__", "recordings"):
        assert entry in ignored, f".dockerignore lacks {entry}"
    copied = {source for name, rest in _dockerfile_instructions() if name == "COPY" for source in rest.split()[:-1]}
    assert not copied & ignored, "the Dockerfile copies something .dockerignore excludes"


# --- (c) the container's command is one the CLI accepts -------------------------------------------------------------


def test_container_command_serves_on_0000_8080_with_fixtures(
    served: list[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(SERVICE)
    for key, value in _environment(service).items():
        monkeypatch.setenv(key, value)
    argv = _container_argv(service)
    assert argv[0] == "clarifai-mock"

    result = CliRunner().invoke(cli.main, argv[1:], prog_name=argv[0])

    assert result.exit_code == 0, result.output
    [settings] = served
    assert (settings.host, settings.port, settings.fixtures) == ("0.0.0.0", CONTAINER_PORT, [Path("/fixtures")])
    assert settings.prefix == DEFAULT_PREFIX


def test_record_service_command_parses(served: list[Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    flags = {opt for param in cli.serve.params for opt in param.opts}
    if not {"--record-mode", "--upstream"} <= flags:
        pytest.skip("`serve --record-mode/--upstream` are not implemented yet")
    service = _service(RECORD_SERVICE)
    for key, value in _environment(service).items():
        monkeypatch.setenv(key, value.replace("${CLARIFAI_PAT:-}", ""))
    argv = _container_argv(service)

    result = CliRunner().invoke(cli.main, argv[1:], prog_name=argv[0])

    assert result.exit_code == 0, result.output
    [settings] = served
    assert (settings.host, settings.port) == ("0.0.0.0", CONTAINER_PORT)


# --- (d) one real process -------------------------------------------------------------------------------------------


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """``python -m mockserver serve`` on a free loopback port: ``(base url, process, log file)``."""
    port = _free_port()  # closed before the server binds it: acceptable in this single smoke test
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    argv = [sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--fixtures", str(REPO / "fixtures")]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield f"http://127.0.0.1:{port}", process, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text('utf-8', 'replace')}")
        try:
            return httpx.get(url + HEALTH_PATH, timeout=1.0)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                pytest.fail(f"no answer on {url} within {STARTUP_TIMEOUT} s:\n{log.read_text('utf-8', 'replace')}")
            time.sleep(0.05)  # start-up poll only


def _run_healthcheck(port: int) -> int:
    """The compose healthcheck command, run here against ``port`` instead of the container's 8080."""
    test = _service(SERVICE)["healthcheck"]["test"]
    code = test[-1].replace(f"127.0.0.1:{CONTAINER_PORT}", f"127.0.0.1:{port}")
    return subprocess.run([sys.executable, *test[2:-1], code], capture_output=True, timeout=30, check=False).returncode


def test_server_process_answers_health_and_chat(server_process: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    url, process, log = server_process

    health = _wait_until_healthy(url, process, log)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    port = urlsplit(url).port
    assert port is not None
    assert _run_healthcheck(port) == 0, "the compose healthcheck fails against a healthy server"

    response = httpx.post(
        f"{url}{DEFAULT_PREFIX}/chat/completions",
        headers={"Authorization": "Key any-pat"},
        json={
            "model": "https://clarifai.com/openai/chat-completion/models/gpt-oss-120b",
            "messages": [{"role": "user", "content": "Say hello."}],
        },
        timeout=10.0,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert HEX32.match(response.headers["x-clarifai-request-id"])
    completion = ChatCompletion.model_validate(response.json())
    assert completion.choices[0].message.role == "assistant"
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0

    process.terminate()
    process.wait(timeout=10)
    assert _run_healthcheck(port) != 0, "the compose healthcheck passes with no server"
    assert "Traceback" not in log.read_text("utf-8", "replace")
