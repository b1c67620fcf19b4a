"""Parsers that turn metadata artifacts into a domain Graph. Pure: no DB, no settings."""
