"""HTTP handlers: the OpenAI-compatible routes and the ``/__mock__/`` control API."""
