"""Responses streamed from inside one read transaction.

A ``SessionDep`` transaction ends before the response body is sent, so a streamed export opens
its own unit of work here: checks run first (a bad request still gets its problem+json), then
the transaction stays open while the body streams and closes when it ends or the client leaves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from dab.services.export_graph import GraphExport


async def _body(stack: AsyncExitStack, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async with stack:
        async for chunk in chunks:
            yield chunk


async def stream_export(
    request: Request, start: Callable[[AsyncSession], Awaitable[GraphExport]]
) -> StreamingResponse:
    stack = AsyncExitStack()
    session = await stack.enter_async_context(request.app.state.session_factory.begin())
    try:
        export = await start(session)
    except BaseException:
        await stack.aclose()
        raise
    media_type = export.export_format.media_type
    headers = {"Content-Disposition": f'attachment; filename="{export.filename}"'}
    return StreamingResponse(
        _body(stack, export.chunks), media_type=f"{media_type}; charset=utf-8", headers=headers
    )
