"""The mock-served picture files that ``url`` image replies point at (stateless: rebuilt from the file name)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from mockserver import errors
from mockserver.engine.png import gradient_png, parse_size

_FILE_NAME = re.compile(r"([0-9]{1,20})-([0-9]{1,6}x[0-9]{1,6})\.png")


async def image_file(request: Request) -> Response:
    """A generated picture by its URL name ``<seed>-<w>x<h>.png``."""
    found = _FILE_NAME.fullmatch(request.path_params["name"])
    if found is None:
        raise errors.route_not_found("GET", request.url.path)
    width, height = parse_size(found.group(2))
    return Response(gradient_png(int(found.group(1)), width, height), media_type="image/png")
