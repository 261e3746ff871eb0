"""Simulated AIS traffic as real tagged NMEA, standing in for receivers in demos and tests."""

from shorewatch.simulator.scenario import (
    Scenario,
    SimVessel,
    VesselFix,
    demo_scenario,
    position_at,
    sentences_between,
    tag_block,
)
from shorewatch.simulator.udp_sender import UdpSender

__all__ = [
    "Scenario",
    "SimVessel",
    "UdpSender",
    "VesselFix",
    "demo_scenario",
    "position_at",
    "sentences_between",
    "tag_block",
]
