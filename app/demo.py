"""`shorewatch demo`: the whole pipeline on one machine with nothing installed but the wheel.

Embedded PostgreSQL and broker (unless SHOREWATCH_DATABASE_URL / SHOREWATCH_MQTT_URL point at
real ones), the packaged site config, and the traffic simulator sending real NMEA over UDP.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from app.composition import Service
from app.embedded import EmbeddedBroker, EmbeddedPostgres
from app.simulator import UdpSender, demo_scenario, mixed_scenario
from shorewatch.bus import BrokerAddress
from shorewatch.config.site import SiteConfig, UdpAisInput
from shorewatch.events import Alert, Message
from shorewatch.settings import Settings


def _with_ephemeral_udp(site: SiteConfig) -> SiteConfig:
    """The demo binds its UDP input on a free port so it never collides with a real receiver."""
    inputs = [
        spec.model_copy(update={"host": "127.0.0.1", "port": 0})
        if isinstance(spec, UdpAisInput)
        else spec
        for spec in site.ingest.ais
    ]
    if not any(isinstance(spec, UdpAisInput) for spec in inputs):
        inputs.append(UdpAisInput(transport="udp", id="demo-udp", host="127.0.0.1", port=0))
    radars = [
        spec.model_copy(update={"host": "127.0.0.1", "port": 0})
        if spec.transport == "udp"
        else spec
        for spec in site.ingest.radar
    ]
    ingest = site.ingest.model_copy(update={"ais": inputs, "radar": radars})
    return site.model_copy(update={"ingest": ingest})


def _without_arrival_bound(site: SiteConfig) -> SiteConfig:
    """Sped-up simulated time runs ahead of the wall clock by design: the detector must not
    refuse it as stamped ahead of its arrival (docs/detection.md, sensor clocks)."""
    fusion = site.detectors.fusion
    clocks = fusion.clocks.model_copy(update={"max_ahead_s": None})
    detectors = site.detectors.model_copy(
        update={"fusion": fusion.model_copy(update={"clocks": clocks})}
    )
    return site.model_copy(update={"detectors": detectors})


def run_demo(
    site: SiteConfig, settings: Settings, *, seconds: float | None, port: int, speedup: float
) -> int:
    site = _with_ephemeral_udp(site)
    if speedup > 1.0:
        site = _without_arrival_bound(site)
    token = (
        settings.api_token.get_secret_value() if settings.api_token else secrets.token_urlsafe(24)
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shorewatch-demo-")))
        dsn = settings.database_url or stack.enter_context(EmbeddedPostgres(tmp / "pg"))
        mqtt_url = settings.broker_url() or stack.enter_context(EmbeddedBroker())
        broker = BrokerAddress.parse(mqtt_url)  # printed without its credentials
        service = Service(
            site,
            dsn=dsn,
            mqtt_url=mqtt_url,
            api_token=token,
            api_host=settings.api_host,
            api_port=port,
            topic_root=settings.topic_root,
            console_dir=settings.console_dir,
        )
        service.start()
        stack.callback(service.stop)
        service.bus.subscribe(service.topics.all_alerts, _print_alert)
        ais_ids = {spec.id for spec in site.ingest.ais}
        udp_port = next(port for key, port in service.udp_ports.items() if key in ais_ids)
        radar_port = next(
            (port for key, port in service.udp_ports.items() if key not in ais_ids), None
        )
        # With a radar on the site (configs/demo.yaml), the full scene: a planted case for every
        # rule. Without one, the AIS-only traffic whose vessel enters the restricted zone.
        now = datetime.now(UTC)
        scenario = mixed_scenario(now) if radar_port is not None else demo_scenario(now)
        sender = UdpSender(scenario, "127.0.0.1", udp_port, speedup=speedup, radar_port=radar_port)
        thread = threading.Thread(target=sender.run, args=(stop,), name="simulator", daemon=True)
        thread.start()
        stack.callback(thread.join, 5)
        base = f"http://{settings.api_host}:{service.api_port}"
        print(
            f"""
ShoreWatch demo is running ({service.series_mode} store, broker {broker.host}:{broker.port}).
  Console:  {base}/#key={token}
            (open it in a browser: signed in at once, the key kept for that tab only)
  API:      {base}/api/v1/alerts     (OpenAPI: {base}/docs)
  Token:    {token}
  Try:      curl -H 'Authorization: Bearer {token}' {base}/api/v1/alerts
  Live:     ws://{settings.api_host}:{service.api_port}/api/v1/live?token={token}
  Metrics:  {base}/metrics
Simulated AIS goes to udp://127.0.0.1:{udp_port}"""
            + (f", radar to udp://127.0.0.1:{radar_port}. " if radar_port else ". ")
            + (f"Stopping after {seconds:g} s." if seconds else "Ctrl-C to stop."),
            flush=True,
        )
        stop.wait(seconds)
        stop.set()
        print(f"demo finished: {sender.sent} sentences sent", flush=True)
    return 0


def _print_alert(message: Message) -> None:
    if isinstance(message, Alert):
        print(
            f"ALERT {message.level.value.upper():6} {message.kind.value} {message.target} "
            f"score={message.score:.0f} events={message.event_count} state={message.state} "
            f"id={message.id}",
            flush=True,
        )
