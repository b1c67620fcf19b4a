"""Use cases: one module per use case, called by api/ and cli/. Never commits."""
