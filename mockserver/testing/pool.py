"""``ServerPool``: the pytest session's mock server and the copies started for other error styles."""

from __future__ import annotations

from mockserver.config import ErrorStyle
from mockserver.server import MockServer


class ServerPool:
    """The session's server plus copies started on first use for another error style (a server has one style)."""

    def __init__(self, main: MockServer) -> None:
        self.main = main
        self._variants: dict[ErrorStyle, MockServer] = {}

    def get(self, error_style: ErrorStyle | None = None) -> MockServer:
        """The server answering errors in ``error_style`` (the main one for ``None`` or its own style)."""
        if error_style is None or error_style == self.main.settings.error_style:
            return self.main
        if error_style not in self._variants:
            settings = self.main.settings.model_copy(update={"error_style": error_style, "port": 0})
            self._variants[error_style] = MockServer(settings).start()
        return self._variants[error_style]

    def close(self) -> None:
        """Stop the copies (the main server belongs to whoever started it)."""
        for server in self._variants.values():
            server.stop()
        self._variants.clear()
