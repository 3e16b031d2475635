"""Clarifai's side of the service: callers and PATs, the model catalog, tokens, usage, budgets and rate limits."""
