"""What is on the wire, as an external MQTT consumer reads it: a plain paho client that
collects each message's topic and JSON body (no ShoreWatch `Bus`, so batches stay whole)."""

from __future__ import annotations

import json
import queue
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shorewatch.bus import BrokerAddress

Seen = queue.Queue[tuple[str, dict[str, Any]]]


def raw_listener(url: str, topic: str) -> tuple[mqtt.Client, Seen]:
    """Subscribed and running; the caller stops it (`loop_stop`, `disconnect`)."""
    seen: Seen = queue.Queue()
    address = BrokerAddress.parse(url)
    raw = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=address.protocol)
    raw.on_message = lambda _c, _u, msg: seen.put((msg.topic, json.loads(msg.payload)))
    raw.connect(address.host, address.port)
    raw.subscribe(topic, qos=1)
    raw.loop_start()
    return raw, seen
