"""Redaction of secrets (passwords, tokens, keys) in compiled SQL and meta before storage."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dab.errors import InvalidArtifact

REDACTED = "***REDACTED***"

_KEY_WORDS = (
    r"password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"client[_-]?secret|credentials?"
)
# key = value / key: value / "key": "value"; the key may carry a prefix (aws_secret, access_token).
_ASSIGNMENT = re.compile(
    rf"(?i)(\b[\w-]*(?:{_KEY_WORDS})[\"']?\s*(?:=|:)\s*)"
    r"(?:'([^'\n]*)'|\"([^\"\n]*)\"|([^\s,;)&'\"]+))"
)
_URL_PASSWORD = re.compile(r"(://[^\s:/@'\"]+:)([^\s@/'\"]+)(@)")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*")
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
# Every pattern above needs one of these (case-folded) in the text: most strings hold none, and
# a few substring searches are far cheaper than four regex substitutions (182k strings at 10k models).
_HINTS = ("pass", "pwd", "secret", "token", "key", "credential", "://", "bearer", "akia", "asia")
_SECRET_KEY = re.compile(rf"(?i)(?:^|[\W_])(?:{_KEY_WORDS})$")


def _assignment(match: re.Match[str]) -> str:
    if match.group(2) is not None:
        return f"{match.group(1)}'{REDACTED}'"
    if match.group(3) is not None:
        return f'{match.group(1)}"{REDACTED}"'
    return f"{match.group(1)}{REDACTED}"


def redact_secrets(text: str) -> str:
    """Replace secrets found in ``text`` with ``***REDACTED***``.

    Example:
        >>> redact_secrets("postgres://etl:hunter2@db:5432/x password='s3cret'")
        "postgres://etl:***REDACTED***@db:5432/x password='***REDACTED***'"
    """
    # casefold, and the dotless i: (?i) matches long s, Kelvin and dotless i where lower() does not
    lowered = text.casefold().replace("\u0131", "i")
    if not any(hint in lowered for hint in _HINTS):
        return text
    text = _URL_PASSWORD.sub(rf"\g<1>{REDACTED}\g<3>", text)
    text = _ASSIGNMENT.sub(_assignment, text)
    text = _BEARER.sub(rf"\g<1>{REDACTED}", text)
    return _AWS_KEY_ID.sub(REDACTED, text)


def is_secret_key(key: str) -> bool:
    """True for mapping keys that name a secret (``password``, ``api_key``, ``aws_secret``)."""
    return _SECRET_KEY.search("_" + key) is not None


MAX_DEPTH = 64
"""Deepest nesting kept in meta (dbt's own is a few levels; JSON columns refuse deep values)."""


def redact_value(value: Any, _depth: int = 0) -> Any:
    """Redact every string inside a JSON-like value; values under secret-named keys are hidden.

    Raises ValueError when ``value`` is nested deeper than MAX_DEPTH levels.
    """
    if isinstance(value, str):
        return redact_secrets(value)
    if _depth >= MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        return {
            k: (
                REDACTED
                if isinstance(v, str) and v and isinstance(k, str) and is_secret_key(k)
                else redact_value(v, _depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(v, _depth + 1) for v in value]
    return value


def redact_meta(meta: Any, artifact: str, json_path: str) -> Any:
    """``redact_value`` of an artifact's meta; too deep a value is the artifact's error."""
    try:
        return redact_value(meta)
    except ValueError as exc:
        raise InvalidArtifact(str(exc), artifact=artifact, json_path=json_path) from exc


def _redact_item(key: Any, value: Any) -> Any:
    if isinstance(value, str) and value and isinstance(key, str) and is_secret_key(key):
        return REDACTED
    return redact_value(value)
