"""Cross-cutting plumbing: logging, metrics, tracing, cache. No business logic."""
