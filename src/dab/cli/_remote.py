"""Talking to a running dab server (``--api-url``/DAB_API_URL, ``--api-key``/DAB_API_KEY)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from dab.errors import DabError, InvalidArtifact, InvalidInput, NotFound


def _raise_for_problem(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text[:500]}
    detail = str(problem.get("detail") or response.reason_phrase)
    if response.status_code == 404:
        raise NotFound(detail)
    if response.status_code == 422 and problem.get("artifact"):
        raise InvalidArtifact(
            problem.get("detail", detail),
            artifact=problem["artifact"],
            json_path=problem.get("json_path", "$"),
        )
    if response.status_code in (400, 413, 422):
        raise InvalidInput(detail)
    raise DabError(f"server answered {response.status_code}: {detail}")


class RemoteClient:
    def __init__(self, base_url: str, api_key: str | None, *, timeout: float = 600.0) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v1", headers=headers, timeout=timeout
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise DabError(f"cannot reach the dab server: {exc}") from exc
        _raise_for_problem(response)
        return response.json() if response.content else None

    def download(self, path: str, params: dict[str, Any], sink: Callable[[bytes], object]) -> None:
        """GET a streamed body into ``sink`` chunk by chunk (a problem answer raises first)."""
        try:
            with self._client.stream("GET", path, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    _raise_for_problem(response)
                for chunk in response.iter_bytes():
                    sink(chunk)
        except httpx.HTTPError as exc:
            raise DabError(f"cannot reach the dab server: {exc}") from exc

    def close(self) -> None:
        self._client.close()
