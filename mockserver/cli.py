"""The ``clarifai-mock`` command line: it parses flags into ``Settings`` and hands over; no logic lives here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import uvicorn
from pydantic import ValidationError

from mockserver.config import ErrorStyle, NoMatch, ResponseModel, Settings, StreamUsage


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


def run_server(settings: Settings) -> None:
    """Serve until interrupted (patched out in CLI tests)."""
    from mockserver.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)


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
@click.option("--catalog", type=click.Path(path_type=Path, exists=True), help="Extra model catalog file.")
@click.option("--max-body-bytes", type=int, help="Largest accepted request body.")
@click.option("--reload/--no-reload", default=None, help="Reload fixture files on change (default on).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(**flags: Any) -> None:
    """Run the mock server."""
    settings = build_settings(**flags)
    click.echo(f"clarifai-mock serving on http://{settings.host}:{settings.port}{settings.prefix}", err=True)
    run_server(settings)
