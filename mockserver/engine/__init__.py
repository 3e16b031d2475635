"""The simulated model: building completions, deterministic generation and synthesis, ids, vectors and pictures."""
