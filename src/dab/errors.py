"""Error tree shared by every layer: no HTTP status codes, no exit codes here.

api/problems.py maps these to problem+json responses, cli/_runtime.py to exit codes.
"""

from typing import ClassVar


class DabError(Exception):
    """Base of every expected failure; `detail` is safe to show to a user."""

    code: ClassVar[str] = "dab_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.job_id: str | None = None  # set when the error failed an ingestion job


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
