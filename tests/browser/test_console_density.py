"""The console at density (issue 11): a crowd above the declutter threshold is drawn as dots by
the live worker, with symbols, badges, vectors and trails kept for alerted targets only, and a
red alert on one of the crowd still reaches the desk while the crowd moves."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from shorewatch.events import EventKind, PictureTrack, PictureUpdate, Source
from tests.browser.conftest import Scene, SignIn

CROWD = 2500
"""Above the console's declutter threshold (2,000 targets in view)."""


def crowd(step: int) -> PictureUpdate:
    return PictureUpdate(
        tile="58N011E",
        time=datetime.now(UTC),
        tracks=tuple(
            PictureTrack(
                key=f"radar:crowd-{i}",
                sources=(Source.RADAR,),
                lat=58.205 + (i % 50) * 0.0008,
                lon=11.385 + (i // 50) * 0.0012 + step * 2e-5,
                sog_kn=6.0,
                cog_deg=90.0,
                last_seen=datetime.now(UTC),
            )
            for i in range(CROWD)
        ),
    )


def test_a_crowd_is_drawn_as_dots_and_an_alert_in_it_reaches_the_desk(
    scene: Scene, sign_in: SignIn
) -> None:
    page = sign_in("dora")
    stop = threading.Event()

    def move() -> None:
        step = 0
        while not stop.is_set():
            scene.service.publish_picture(crowd(step))
            step += 1
            stop.wait(1.0)

    mover = threading.Thread(target=move, daemon=True)
    mover.start()
    try:
        page.wait_for_function(f"() => shorewatch.layers().dots >= {CROWD}", timeout=60_000)
        sizes = page.evaluate("shorewatch.layers()")
        assert sizes["targets"] < 100, f"symbols only for alerted targets: {sizes}"
        assert page.evaluate("shorewatch.drawn()") >= CROWD
        assert any("live-worker" in worker.url for worker in page.workers)

        member = "radar:crowd-1234"
        assert page.evaluate(f"shorewatch.drawnAs('{member}')") == "dot"
        where = (58.205 + 34 * 0.0008, 11.385 + 24 * 0.0012)
        scene.publish_event(EventKind.DARK_TARGET, member, *where, {"sog_kn": 6.0, "fixes": 12})
        page.locator(f".desk-row[data-target='{member}']").wait_for(timeout=30_000)
        # Its symbol and badge come back out of the dots once the worker hears of the alert.
        page.wait_for_function(f"() => shorewatch.drawnAs('{member}') === 'symbol'", timeout=15_000)
    finally:
        stop.set()
        mover.join()
        gone = tuple(f"radar:crowd-{i}" for i in range(CROWD))
        scene.service.publish_picture(
            PictureUpdate(tile="58N011E", time=datetime.now(UTC), removed=gone)
        )
    scene.assert_quiet()
