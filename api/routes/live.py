"""The live feed: every alert change in the caller's areas pushed to their console as it
happens."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext
from api.deps import authenticate

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
    queue = context.live.subscribe()
    try:
        while (alert := await queue.get()) is not None:
            if caller.sees(alert.jurisdiction):
                await websocket.send_text(alert.model_dump_json())
        await websocket.close(code=status.WS_1013_TRY_AGAIN_LATER, reason="too slow")
    except WebSocketDisconnect:
        pass
    finally:
        context.live.unsubscribe(queue)
