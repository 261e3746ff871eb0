"""Photo store: types from magic bytes, strict base64, retention by age and total size."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from shorewatch.store.photos import (
    MAX_PHOTO_BYTES,
    PhotoRejected,
    PhotoStore,
    decode_photo,
    sniff,
)

JPEG = b"\xff\xd8\xff\xdb" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def test_sniff_by_content() -> None:
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(PNG) == "image/png"
    for other in (b"GIF89a", b"%PDF-1.7", b"<svg/>", b"\xff\xd8", b""):
        with pytest.raises(PhotoRejected, match="JPEG or PNG"):
            sniff(other)


def test_decode_is_strict() -> None:
    assert decode_photo(base64.b64encode(JPEG).decode()) == (JPEG, "image/jpeg")
    for bad, why in (
        ("@@@@", "base64"),
        (base64.b64encode(JPEG).decode()[:-1], "base64"),
        ("", "empty"),
        (base64.b64encode(b"\x00" * (MAX_PHOTO_BYTES + 1)).decode(), "larger"),
    ):
        with pytest.raises(PhotoRejected, match=why):
            decode_photo(bad)


def test_save_read_delete(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos", timedelta(days=1))
    photo_id = uuid.uuid4()
    assert store.save(photo_id, PNG) == "image/png"
    assert store.read(photo_id, "image/png") == PNG
    assert store.read(photo_id, "image/jpeg") is None
    assert [p.name for p in (tmp_path / "photos").iterdir()] == [f"{photo_id}.png"]
    store.delete(photo_id, "image/png")
    store.delete(photo_id, "image/png")
    assert store.read(photo_id, "image/png") is None
    with pytest.raises(PhotoRejected):
        store.save(uuid.uuid4(), b"not an image")
    assert list((tmp_path / "photos").iterdir()) == []


def test_retention_by_age(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = PhotoStore(tmp_path, timedelta(hours=1), clock=lambda: now[0])
    old, new = uuid.uuid4(), uuid.uuid4()
    store.save(old, JPEG)
    os.utime(tmp_path / f"{old}.jpg", (now[0] - 7200, now[0] - 7200))
    store.save(new, JPEG)
    os.utime(tmp_path / f"{new}.jpg", (now[0] - 60, now[0] - 60))
    assert store.read(old, "image/jpeg") is None, "expired on the next save"
    assert store.read(new, "image/jpeg") == JPEG
    now[0] += 3600
    assert store.prune() == 1
    assert list(tmp_path.iterdir()) == []


def test_total_size_cap_drops_the_oldest(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path, timedelta(days=30), max_total_bytes=2 * len(JPEG))
    ids = [uuid.uuid4() for _ in range(3)]
    for age, photo_id in zip((300, 200, 100), ids, strict=True):
        store.save(photo_id, JPEG)
        stamp = os.stat(tmp_path / f"{photo_id}.jpg").st_mtime - age
        os.utime(tmp_path / f"{photo_id}.jpg", (stamp, stamp))
    store.prune()
    assert [store.read(i, "image/jpeg") is not None for i in ids] == [False, True, True]


def test_a_busy_store_scans_its_folder_at_most_every_prune_interval(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = PhotoStore(tmp_path, timedelta(hours=1), clock=lambda: now[0], prune_every_s=60)
    old = uuid.uuid4()
    store.save(old, JPEG)  # the first save scans
    os.utime(tmp_path / f"{old}.jpg", (now[0] - 7200, now[0] - 7200))
    now[0] += 30
    store.save(uuid.uuid4(), JPEG)
    assert store.read(old, "image/jpeg") == JPEG, "no scan within the interval"
    now[0] += 30
    store.save(uuid.uuid4(), JPEG)
    assert store.read(old, "image/jpeg") is None, "scanned once the interval passed"
