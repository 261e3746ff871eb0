"""Evidence snapshots: the frame that raised a camera event, with the box drawn, as a JPEG.

Named by the event id (so the event can point at it before anyone asks), written atomically
by the same retention-bounded store as field-report photos, and served by the API at
`snapshot_url(event_id)`.
"""

from __future__ import annotations

import uuid

import cv2
import numpy as np
import numpy.typing as npt

from shorewatch.store.photos import PhotoStore

Image = npt.NDArray[np.uint8]
BOX_COLOUR = (0, 0, 255)  # BGR red: stands out on sea and sky
TEXT_COLOUR = (255, 255, 255)


def snapshot_url(event_id: uuid.UUID) -> str:
    return f"/api/v1/events/{event_id}/snapshot"


class SnapshotWriter:
    def __init__(self, store: PhotoStore, *, jpeg_quality: int = 85) -> None:
        self.store = store
        self._quality = jpeg_quality

    def save(
        self,
        event_id: uuid.UUID,
        image: Image,
        bbox: tuple[float, float, float, float],
        caption: str,
    ) -> str:
        """Draw, encode and store; returns the URL the event carries as evidence."""
        self.store.save(event_id, render(image, bbox, caption, self._quality))
        return snapshot_url(event_id)


def render(
    image: Image, bbox: tuple[float, float, float, float], caption: str, quality: int
) -> bytes:
    """A copy of the frame with the box and its caption; the frame itself is not touched."""
    canvas = image.copy()
    height, width = canvas.shape[:2]
    thickness = max(1, round(min(height, width) / 300))
    x1, y1, x2, y2 = (round(v) for v in bbox)
    cv2.rectangle(canvas, (x1, y1), (x2, y2), BOX_COLOUR, thickness)
    scale = max(0.35, min(height, width) / 900)
    (text_w, text_h), base = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    top = y1 - text_h - base - 2 if y1 - text_h - base - 2 >= 0 else min(y2 + 2, height - 1)
    cv2.rectangle(canvas, (x1, top), (x1 + text_w + 4, top + text_h + base + 2), BOX_COLOUR, -1)
    cv2.putText(
        canvas,
        caption,
        (x1 + 2, top + text_h + 1),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        TEXT_COLOUR,
        1,
        cv2.LINE_AA,
    )
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(encoded.tobytes())
