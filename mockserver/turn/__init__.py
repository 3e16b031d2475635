"""The model-turn pipeline every model endpoint runs: surface adapters in, one resolution and accounting path, renderers
out."""
