"""The HTTP protocol the mock serves with: uvicorn's httptools protocol, with one write per response, lean response
heads, a deadline for each request head and proxy headers read only when sent."""

from mockserver.protocol.http import HttpProtocol

__all__ = ["HttpProtocol"]
