"""PII detection (pure core): column facts in, findings with method, confidence and evidence out."""
