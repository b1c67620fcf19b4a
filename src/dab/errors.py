"""Error tree shared by every layer: no HTTP status codes, no exit codes here.

api/problems.py maps these to problem+json responses, cli/_runtime.py to exit codes.
"""

from __future__ import annotations

from typing import Any, ClassVar

MAX_ECHO_CHARS = 500
"""Error texts echo at most this much of any input (keys, values, parser messages)."""


def clip(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def _rebuilt(cls: type[DabError], args: tuple[Any, ...], state: dict[str, Any]) -> DabError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class DabError(Exception):
    """Base of every expected failure; `detail` is safe to show to a user (and short)."""

    code: ClassVar[str] = "dab_error"

    def __init__(self, detail: str) -> None:
        detail = clip(detail, 4 * MAX_ECHO_CHARS)
        super().__init__(detail)
        self.detail = detail
        self.job_id: str | None = None  # set when the error failed an ingestion job

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (the ingestion worker): rebuild them field by field,
        # since subclasses' constructors do not take what ``args`` holds.
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


class NotFound(DabError):
    code = "not_found"


class Conflict(DabError):
    code = "conflict"


class InvalidInput(DabError):
    """A request parameter or body field is wrong; `location` names it."""

    code = "invalid_input"

    def __init__(self, detail: str, *, location: str | None = None) -> None:
        super().__init__(detail)
        self.location = location


class InvalidArtifact(DabError):
    """An uploaded artifact cannot be used; names the artifact and the JSON path."""

    code = "invalid_artifact"

    def __init__(self, detail: str, *, artifact: str, json_path: str = "$") -> None:
        json_path, detail = clip(json_path), clip(detail)
        super().__init__(f"{artifact}: {json_path}: {detail}")
        self.artifact = artifact
        self.json_path = json_path
        self.reason = detail


class PayloadTooLarge(DabError):
    code = "payload_too_large"


class InvalidRule(DabError):
    """A rule definition is invalid; names the rule id and the field."""

    code = "invalid_rule"


class ServiceUnavailable(DabError):
    code = "service_unavailable"
