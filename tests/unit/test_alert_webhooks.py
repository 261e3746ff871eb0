"""Alert webhooks: which alerts each one receives, the body signature, and the config checks."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from shapely.geometry import box

from alerts.alert_webhooks import SIGNATURE_HEADER, Route, sign
from shorewatch.config.alerts import WebhookSpec
from shorewatch.config.site import ConfigError, parse_config
from shorewatch.events import Alert, EventKind, Level
from shorewatch.jurisdictions import Jurisdiction, Jurisdictions

NOW = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
AREAS = Jurisdictions(
    [
        Jurisdiction("county", "County", "county", None, 0, box(11.0, 58.0, 12.0, 59.0)),
        Jurisdiction("town", "Town", "town", "county", 1, box(11.3, 58.2, 11.5, 58.3)),
        Jurisdiction("other", "Other", "county", None, 0, box(12.0, 58.0, 13.0, 59.0)),
    ]
)


def alert(
    level: Level = Level.ORANGE,
    kind: EventKind = EventKind.ZONE_ENTRY,
    jurisdiction: str | None = "town",
    *,
    silenced: bool = False,
) -> Alert:
    return Alert(
        id=uuid.uuid4(),
        kind=kind,
        target="ais:265123456",
        score=70,
        level=level,
        lat=58.25,
        lon=11.42,
        jurisdiction=jurisdiction,
        event_ids=(uuid.uuid4(),),
        event_count=1,
        created_at=NOW,
        updated_at=NOW,
        silenced=silenced,
    )


def route(**fields: object) -> Route:
    return Route.build(
        WebhookSpec.model_validate({"url": "https://hook.example/in", **fields}), AREAS
    )


@pytest.mark.parametrize(
    ("level", "sent"),
    [(Level.BLUE, False), (Level.YELLOW, True), (Level.ORANGE, True), (Level.RED, True)],
)
def test_default_min_level_is_yellow(level: Level, sent: bool) -> None:
    assert route().matches(alert(level)) is sent


def test_min_level_red_takes_only_red() -> None:
    only_red = route(min_level="red")
    assert only_red.matches(alert(Level.RED))
    assert not only_red.matches(alert(Level.ORANGE))
    assert route(min_level="blue").matches(alert(Level.BLUE))


def test_kinds_filter() -> None:
    dark = route(kinds=["dark_target", "high_speed"])
    assert dark.matches(alert(kind=EventKind.DARK_TARGET))
    assert not dark.matches(alert(kind=EventKind.ZONE_ENTRY))


def test_jurisdiction_filter_covers_the_areas_below() -> None:
    county = route(jurisdictions=["county"])
    assert county.matches(alert(jurisdiction="county"))
    assert county.matches(alert(jurisdiction="town")), "town lies below county"
    assert not county.matches(alert(jurisdiction="other"))
    assert not county.matches(alert(jurisdiction=None)), "outside every area: not this one's"
    town = route(jurisdictions=["town"])
    assert not town.matches(alert(jurisdiction="county")), "not upwards"
    assert route().matches(alert(jurisdiction=None)), "no filter: everywhere"


def test_jurisdiction_filter_matches_every_area_the_alert_has_been_in() -> None:
    moved_on = alert(jurisdiction="other").model_copy(update={"jurisdictions": ("town", "other")})
    assert route(jurisdictions=["town"]).matches(moved_on), "it was in town: town still hears"
    assert route(jurisdictions=["other"]).matches(moved_on)


def test_silenced_alerts_are_never_sent() -> None:
    assert not route(min_level="blue").matches(alert(Level.RED, silenced=True))


def test_signature_is_hmac_sha256_of_the_exact_body() -> None:
    secret = "s3cret-shared-with-the-receiver"
    body = alert().model_dump_json().encode()
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert sign(secret, body) == f"sha256={expected}"
    assert route(secret=secret).headers(body) == {SIGNATURE_HEADER: f"sha256={expected}"}
    assert sign(secret, body + b" ") != sign(secret, body)
    assert route().headers(body) == {}, "no secret, no signature"


def test_secret_is_not_shown() -> None:
    spec = WebhookSpec(url="https://hook.example/in", secret="s3cret-shared-with-the-receiver")
    assert "s3cret" not in repr(spec)
    assert "s3cret" not in spec.model_dump_json()


@pytest.mark.parametrize(
    "fields",
    [
        {"url": "ftp://hook.example/in"},
        {"url": "file:///etc/passwd"},
        {"url": "https:///no-host"},
        {"url": "https://hook.example/in", "min_level": "purple"},
        {"url": "https://hook.example/in", "kinds": ["smuggling"]},
        {"url": "https://hook.example/in", "kinds": []},
        {"url": "https://hook.example/in", "jurisdictions": ["Not An Id"]},
        {"url": "https://hook.example/in", "secret": "short"},
        {"url": "https://hook.example/in", "sekret": "s3cret-shared-with-the-receiver"},
    ],
)
def test_bad_webhooks_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WebhookSpec.model_validate(fields)


def test_site_yaml_names_an_unknown_jurisdiction() -> None:
    text = """
version: t
alerts:
  webhooks:
    - {url: "https://hook.example/in", jurisdictions: [atlantis]}
"""
    with pytest.raises(ConfigError, match=r"alerts\.webhooks\.0\.jurisdictions: unknown atlantis"):
        parse_config(text, "site.yaml", Path())


def test_site_yaml_webhooks_parse() -> None:
    text = """
version: t
alerts:
  webhooks:
    - {url: "http://127.0.0.1:9000/hook", min_level: orange, kinds: [dark_target]}
"""
    (hook,) = parse_config(text, "site.yaml", Path()).alerts.webhooks
    assert hook.min_level is Level.ORANGE
    assert hook.kinds == (EventKind.DARK_TARGET,)
    assert hook.secret is None
