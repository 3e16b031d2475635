"""The ``clarifai-mock`` command line: it parses flags into ``Settings`` and hands over; no logic lives here."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

import click
import uvicorn
from pydantic import SecretStr, ValidationError

from mockserver.config import (
    DEFAULT_UPSTREAM,
    ErrorStyle,
    LogLevel,
    NoMatch,
    RecordMode,
    ResponseModel,
    Settings,
    StreamUsage,
)
from mockserver.errors import FixtureFileError
from mockserver.fixtures.files import load_fixture_files
from mockserver.schema import FixtureFile


def build_settings(**given: Any) -> Settings:
    """``Settings`` from the flags actually given (``None`` and empty tuples mean "not given", so env applies)."""
    chosen: dict[str, Any] = {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in given.items() if v not in (None, ())
    }
    try:
        return Settings(**chosen)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(problems) from None


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server that says where it serves only once the socket is bound and the app has started."""

    def __init__(self, config: uvicorn.Config, settings: Settings) -> None:
        super().__init__(config)
        self.settings = settings

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit and sockets:
            host, port = self.settings.host, sockets[0].getsockname()[1]
            where = f"[{host}]" if ":" in host else host
            verb = "serving" if self.settings.record_mode is RecordMode.NONE else "recording"
            click.echo(f"clarifai-mock {verb} on http://{where}:{port}{self.settings.prefix}", err=True)
            _say_recording(self.settings)


def run_server(settings: Settings) -> None:
    """Load fixtures, bind the port, then serve until interrupted (patched out in CLI tests); a start-up failure is
    one line on stderr and a non-zero exit."""
    from mockserver.app import create_app
    from mockserver.server import bind_socket, uvicorn_config

    if settings.workers > 1:
        run_workers(settings)
        return
    _configure_logging(settings)
    try:
        app = create_app(settings)
    except FixtureFileError as exc:
        raise click.ClickException("invalid fixtures, not starting: " + "; ".join(exc.problems)) from None
    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}), not starting; "
            "choose another port with --port or CLARIFAI_MOCK_PORT (make serve PORT=18080)"
        ) from None
    level, access_log = settings.log_level.value, _access_log(settings)
    config = uvicorn_config(app, host=settings.host, port=settings.port, log_level=level, access_log=access_log)
    with sock:
        _AnnouncingServer(config, settings).run(sockets=[sock])


# The parent's settings as JSON for each worker process; outside the CLARIFAI_MOCK_ prefix, so it is no setting.
WORKER_SETTINGS = "CLARIFAI_MOCKSERVER_WORKER_SETTINGS"


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=logging.DEBUG if settings.log_level is LogLevel.TRACE else settings.log_level.upper(),
        format="%(levelname)s %(name)s: %(message)s",
    )


def worker_app() -> Any:
    """The app of one ``--workers`` process (a uvicorn factory), built from the settings the parent passed on."""
    from mockserver.app import create_app

    settings = Settings.model_validate(json.loads(os.environ[WORKER_SETTINGS]))
    _configure_logging(settings)
    return create_app(settings)


def worker_settings(settings: Settings) -> str:
    """``settings`` as JSON with secrets in clear: they go to the workers' environment, never to disk or logs."""

    def plain(value: object) -> object:
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

    return json.dumps(settings.model_dump(), default=plain)


def _access_log(settings: Settings) -> bool:
    """Whether uvicorn writes access lines: it builds each line's arguments before the logger drops them, so below
    ``info``, where no line would show, it is asked for none."""
    return settings.log_level in (LogLevel.INFO, LogLevel.DEBUG, LogLevel.TRACE)


def run_workers(settings: Settings) -> None:
    """Serve with ``settings.workers`` processes on one port (uvicorn's supervisor); fixtures are checked once here,
    so a bad file stops start-up before any worker starts."""
    from mockserver.server import uvicorn_options

    try:
        load_fixture_files(settings.fixtures)
    except FixtureFileError as exc:
        raise click.ClickException("invalid fixtures, not starting:\n" + str(exc)) from None
    os.environ[WORKER_SETTINGS] = worker_settings(settings)
    uvicorn.run(
        "mockserver.cli:worker_app",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=_access_log(settings),
        **uvicorn_options(),
    )


def _choices(kind: type[Any]) -> click.Choice[str]:
    return click.Choice([member.value for member in kind])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clarifai-mockserver")
def main() -> None:
    """A local, offline mock of Clarifai's OpenAI-compatible API."""


@main.command()
@click.option("--host", help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to bind (default 8080).")
@click.option("--prefix", help="API path prefix (default /v2/ext/openai/v1).")
@click.option("--fixtures", "fixtures", multiple=True, type=click.Path(path_type=Path), help="Fixture file or folder.")
@click.option("--error-style", type=_choices(ErrorStyle), help="Error body shape (default clarifai).")
@click.option("--no-match", type=_choices(NoMatch), help="Unmatched requests: generate a reply or fail (strict).")
@click.option("--pat", "pats", multiple=True, help="Accept only these PATs (repeatable).")
@click.option("--pat-scenario", "pat_scenarios", multiple=True, help="PAT=revoked|no_scopes|out_of_credit|rate_limit:N")
@click.option("--seed", type=int, help="Pin ids and timestamps so equal requests get byte-identical replies.")
@click.option("--stream-usage", type=_choices(StreamUsage), help="End streams with usage always or when requested.")
@click.option("--response-model", type=_choices(ResponseModel), help="What the reply's `model` field holds.")
@click.option("--rate-limit", type=float, help="Requests per second per PAT (off by default).")
@click.option("--pat-budget", "pat_budgets", multiple=True, help="PAT=USD it may spend before billing errors.")
@click.option("--ttft-ms", type=float, help="Default time to first token in ms (default 0).")
@click.option("--tokens-per-second", type=float, help="Default reply pace (default: no delay).")
@click.option("--jitter", type=float, help="Default ± fraction of each gap, seeded (default 0).")
@click.option("--catalog", type=click.Path(path_type=Path, exists=True), help="Extra model catalog file.")
@click.option("--max-body-bytes", type=int, help="Largest accepted request body.")
@click.option("--reload/--no-reload", default=None, help="Reload fixture files on change (default on).")
@click.option("--log-level", type=_choices(LogLevel), help="Log verbosity (default info).")
@click.option("--record-mode", type=_choices(RecordMode), help="Record/replay mode (default none).")
@click.option("--upstream", help=f"API base URL to forward to when recording (default {DEFAULT_UPSTREAM}).")
@click.option("--record-dir", type=click.Path(path_type=Path), help="Recording folder or .yaml/.json file.")
@click.option("--replay-speed", type=float, help="Recorded stream timing: 1 = as recorded, 0 = no delays.")
@click.option("--normalize", "normalize_patterns", multiple=True, help="Regex of volatile text in recorded matches.")
@click.option("--workers", type=int, help="Server processes on one port (default 1); state is per process.")
def serve(**flags: Any) -> None:
    """Run the mock server."""
    run_server(build_settings(**flags))


def _say_recording(settings: Settings) -> None:
    if settings.record_mode is not RecordMode.NONE:
        target = settings.record_dir or settings.fixtures[0]
        click.echo(f"recording ({settings.record_mode.value}) from {settings.upstream} into {target}", err=True)


@main.command()
@click.option("--upstream", help=f"API base URL to forward to (default {DEFAULT_UPSTREAM}).")
@click.option("--out", "record_dir", required=True, type=click.Path(path_type=Path), help="Recording folder or file.")
@click.option("--mode", "record_mode", type=_choices(RecordMode), default="new_episodes", show_default=True)
@click.option("--host", help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to bind (default 8080).")
@click.option("--normalize", "normalize_patterns", multiple=True, help="Regex of volatile text in recorded matches.")
@click.option("--log-level", type=_choices(LogLevel), help="Log verbosity (default info).")
def record(**flags: Any) -> None:
    """Proxy to the upstream and record each exchange (PAT: the caller's, or CLARIFAI_PAT for mock-pat…)."""
    run_server(build_settings(**flags))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check fixture files: every problem with file:line, fixture and field; warnings for shadowed fixtures."""
    try:
        result = load_fixture_files(paths)
    except FixtureFileError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"ok: {len(result.entries)} fixtures in {result.files} files")


@main.command()
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of fixture files, for editors to validate and complete them."""
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **FixtureFile.model_json_schema()}
    text = json.dumps(document, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, "utf-8")
