"""clarifai-mockserver: a local, offline mock of Clarifai's OpenAI-compatible inference API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
