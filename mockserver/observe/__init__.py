"""Seeing what the mock did: Prometheus metrics, hit counts and the kept replies, and the inspector page's assets."""
