"""The production broker configuration (configs/mosquitto/) on a real mosquitto started by the
test: TLS with a certificate made here, users from a password file, the example ACL. The bus
connects with the right credentials and CA, and fails with an error that says why otherwise;
each role may publish only what the ACL gives it. Also: the embedded broker keeps a session
and its queued messages across a kill -9."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from app.embedded import EmbeddedBroker, free_port, wait_for_port
from shorewatch.bus import Bus, BusError
from shorewatch.episodes import new_event
from shorewatch.events import EventKind, Message, Observation, Source
from shorewatch.metrics import Metrics
from shorewatch.settings import Settings
from shorewatch.topics import Topics

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "mosquitto"
PASSWORDS = {
    "ingest": "in:gest@pass/1",
    "recorder": "rec-pass-2",
    "alerts": "alerts-pass-3",
    "detector": "det-pass-4",
}
# Lines of the production file that name its paths and ports; the test gives its own.
LOCAL = ("listener", "certfile", "keyfile", "cafile", "require_certificate", "password_file",
         "acl_file", "persistence_location", "log_dest")  # fmt: skip


@dataclass(frozen=True)
class SecureBroker:
    port: int
    ca_file: Path

    def url(self, user: str | None = None, password: str | None = None) -> str:
        return (
            Settings(
                mqtt_url=f"mqtts://127.0.0.1:{self.port}",
                mqtt_username=user,
                mqtt_password=password,
                mqtt_ca_file=self.ca_file,
            ).broker_url()
            or ""
        )


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists() or not shutil.which("mosquitto_passwd"):
        pytest.fail("mosquitto and mosquitto_passwd are needed (Debian package mosquitto)")
    work = tmp_path_factory.mktemp("secure-broker")
    cert, key = work / "broker.crt", work / "broker.key"
    _run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")  # fmt: skip
    passwd = work / "passwd"
    passwd.touch()
    for user, password in PASSWORDS.items():
        _run("mosquitto_passwd", "-b", str(passwd), user, password)
    (work / "state").mkdir()
    port = free_port()
    production = (CONFIGS / "mosquitto.conf").read_text(encoding="utf-8").splitlines()
    kept = [line for line in production if not line.startswith(LOCAL)]
    kept += [
        f"listener {port} 127.0.0.1",
        f"certfile {cert}",
        f"keyfile {key}",
        f"password_file {passwd}",
        f"acl_file {CONFIGS / 'acl.example'}",
        f"persistence_location {work / 'state'}/",
        f"log_dest file {work / 'mosquitto.log'}",
    ]
    if os.geteuid() == 0:
        kept.append("user root")
    conf = work / "mosquitto.conf"
    conf.write_text("\n".join(kept) + "\n", encoding="utf-8")
    process = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        if not wait_for_port(port, 10):
            out = (
                process.stdout.read().decode()
                if process.poll() is not None and process.stdout
                else ""
            )
            pytest.fail(f"mosquitto did not start with the production configuration: {out}")
        yield SecureBroker(port, cert)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _observation() -> Observation:
    return Observation(
        source=Source.AIS,
        sensor_id="rx",
        target_ref="265000001",
        time=datetime.now(UTC),
        lat=58.3,
        lon=11.4,
    )


def test_tls_and_a_password_connect_and_carry_messages(secure_broker: SecureBroker) -> None:
    topics = Topics("shorewatch")
    got: queue.Queue[Message] = queue.Queue()
    recorder = Bus(secure_broker.url("recorder", PASSWORDS["recorder"]), "rec", topics, Metrics())
    ingest = Bus(secure_broker.url("ingest", PASSWORDS["ingest"]), "ing", topics, Metrics())
    assert ingest.address.tls
    assert ingest.address.password == PASSWORDS["ingest"], "special characters survive the URL"
    recorder.subscribe(topics.all_obs, got.put)
    recorder.connect()
    ingest.connect()
    try:
        time.sleep(0.3)  # the subscription is acknowledged
        sent = _observation()
        ingest.publish(topics.obs(Source.AIS, "rx"), sent).wait_for_publish(5)
        assert got.get(timeout=10) == sent
    finally:
        ingest.close()
        recorder.close()


def test_a_wrong_password_is_refused_with_a_reason(secure_broker: SecureBroker) -> None:
    bus = Bus(secure_broker.url("ingest", "not-the-password"), "ing", Topics(), Metrics())
    started = time.monotonic()
    with pytest.raises(BusError, match=r"refused us: (Bad user name or password|Not authorized)"):
        bus.connect()
    assert time.monotonic() - started < 5, "said at once, not after the connect timeout"


def test_no_credentials_are_refused(secure_broker: SecureBroker) -> None:
    with pytest.raises(BusError, match="refused us"):
        Bus(secure_broker.url(), "anon", Topics(), Metrics()).connect()


def test_a_broker_certificate_we_do_not_trust_fails_the_tls_handshake(
    secure_broker: SecureBroker,
) -> None:
    url = f"mqtts://ingest:x@127.0.0.1:{secure_broker.port}"  # system trust store only
    with pytest.raises(
        BusError, match=r"TLS with MQTT broker .* failed: .*CERTIFICATE_VERIFY_FAILED"
    ):
        Bus(url, "ing", Topics(), Metrics()).connect()


def test_plain_mqtt_to_the_tls_port_fails(secure_broker: SecureBroker) -> None:
    url = f"mqtt://ingest:{PASSWORDS['ingest']}@127.0.0.1:{secure_broker.port}"
    with pytest.raises(BusError):
        Bus(url, "ing", Topics(), Metrics()).connect(timeout_s=3)


def test_the_example_acl_lets_ingest_publish_observations_but_not_events(
    secure_broker: SecureBroker,
) -> None:
    topics = Topics("shorewatch")
    events: queue.Queue[Message] = queue.Queue()
    alerts = Bus(secure_broker.url("alerts", PASSWORDS["alerts"]), "alerts", topics, Metrics())
    ingest = Bus(secure_broker.url("ingest", PASSWORDS["ingest"]), "ing", topics, Metrics())
    detector = Bus(secure_broker.url("detector", PASSWORDS["detector"]), "det", topics, Metrics())
    alerts.subscribe(topics.all_events, events.put)
    for bus in (alerts, ingest, detector):
        bus.connect()
    try:
        time.sleep(0.3)
        forged = new_event(
            EventKind.ZONE_ENTRY, ("ais:1",), datetime.now(UTC), 58.3, 11.4, {}, "acl-test"
        )
        ingest.publish(topics.event(forged.kind), forged).wait_for_publish(5)
        ingest.publish(topics.obs(Source.AIS, "rx"), _observation()).wait_for_publish(5)
        raised = new_event(
            EventKind.ZONE_ENTRY, ("ais:2",), datetime.now(UTC), 58.3, 11.4, {}, "acl-test"
        )
        detector.publish(topics.event(raised.kind), raised).wait_for_publish(5)
        assert events.get(timeout=10) == raised, "the detector's event, not ingest's forgery"
        with pytest.raises(queue.Empty):
            events.get(timeout=1)
    finally:
        for bus in (detector, ingest, alerts):
            bus.close()


def test_the_embedded_broker_keeps_a_session_and_its_queue_across_kill_9() -> None:
    """The embedded broker is the demo's and the tests' stand-in for production: a durable
    subscriber away while messages arrive gets them after the broker crashed and restarted."""

    def client(client_id: str) -> mqtt.Client:
        return mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )

    session = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho: untyped
    session.SessionExpiryInterval = 3600
    broker = EmbeddedBroker()
    with broker as url:
        port = int(url.rsplit(":", 1)[1].split("?")[0])
        subscriber = client("durable-sub")
        subscriber.connect("127.0.0.1", port, clean_start=False, properties=session)
        subscriber.loop_start()
        subscriber.subscribe("t/#", qos=1)
        time.sleep(0.5)
        subscriber.disconnect()
        subscriber.loop_stop()
        publisher = client("pub")
        publisher.connect("127.0.0.1", port)
        publisher.loop_start()
        for n in range(20):
            publisher.publish("t/x", str(n), qos=1).wait_for_publish(5)
        publisher.disconnect()
        publisher.loop_stop()
        time.sleep(2.5)  # past the embedded broker's one-second autosave
        broker.kill()
        broker.start()
        received: queue.Queue[bytes] = queue.Queue()
        subscriber = client("durable-sub")
        subscriber.on_message = lambda _c, _u, msg: received.put(bytes(msg.payload))
        subscriber.connect("127.0.0.1", port, clean_start=False, properties=session)
        subscriber.loop_start()
        try:
            got = [received.get(timeout=10).decode() for _ in range(20)]
        finally:
            subscriber.disconnect()
            subscriber.loop_stop()
        assert got == [str(n) for n in range(20)]
