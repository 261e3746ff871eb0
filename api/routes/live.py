"""The live feed: every alert change pushed to connected consoles as it happens."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from api.context import ApiContext
from api.deps import token_matches

router = APIRouter(tags=["live"])


@router.websocket("/live")
async def live(websocket: WebSocket) -> None:
    """Browsers cannot set headers on a WebSocket, so the token may come as `?token=`."""
    context: ApiContext = websocket.app.state.context
    header = websocket.headers.get("authorization", "")
    presented = websocket.query_params.get("token") or header.removeprefix("Bearer ").strip()
    if not token_matches(context, presented or None):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="invalid token")
        return
    await websocket.accept()
    queue = context.live.subscribe()
    try:
        while (alert := await queue.get()) is not None:
            await websocket.send_text(alert.model_dump_json())
        await websocket.close(code=status.WS_1013_TRY_AGAIN_LATER, reason="too slow")
    except WebSocketDisconnect:
        pass
    finally:
        context.live.unsubscribe(queue)
