"""Type aliases shared by every module, kept here so imports never cycle."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
"""A decoded JSON object."""
