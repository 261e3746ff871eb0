"""The live feed: every alert change in the caller's areas pushed to their console as it
happens, and the live picture inside the viewport the console sends (`api/live_session.py`)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, WebSocket, status
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext
from api.deps import authenticate
from api.live_session import LiveSession

router = APIRouter(tags=["live"])


@router.websocket("/live")
async def live(websocket: WebSocket) -> None:
    """Browsers cannot set headers on a WebSocket, so the token may come as `?token=`."""
    context: ApiContext = websocket.app.state.context
    header = websocket.headers.get("authorization", "")
    presented = websocket.query_params.get("token") or header.removeprefix("Bearer ").strip()
    # The same check as every route (an API key costs a store lookup and a hash: off the loop).
    caller = await run_in_threadpool(authenticate, context, presented or None)
    if caller is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="invalid token")
        return
    await websocket.accept()
    await LiveSession(websocket, context, caller, partial(authenticate, context, presented)).run()
