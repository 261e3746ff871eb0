"""Simulated sensors for demos and tests: AIS as real tagged NMEA, a shore radar as ARPA
TTM/TLL, ordinary traffic and one planted behaviour per detection rule."""

from shorewatch.simulator.lines import (
    Channel,
    SimLine,
    lines_between,
    scenario_lines,
    write_recordings,
)
from shorewatch.simulator.model import Scenario, SimRadar, SimVessel, Spoof
from shorewatch.simulator.motion import VesselFix, position_at
from shorewatch.simulator.radar import radar_sentences_between, target_number
from shorewatch.simulator.scenario import sentences_between, tag_block
from shorewatch.simulator.scenarios import demo_scenario, mixed_scenario
from shorewatch.simulator.udp_sender import UdpSender

__all__ = [
    "Channel",
    "Scenario",
    "SimLine",
    "SimRadar",
    "SimVessel",
    "Spoof",
    "UdpSender",
    "VesselFix",
    "demo_scenario",
    "lines_between",
    "mixed_scenario",
    "position_at",
    "radar_sentences_between",
    "scenario_lines",
    "sentences_between",
    "tag_block",
    "target_number",
    "write_recordings",
]
