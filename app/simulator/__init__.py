"""Simulated sensors for demos and tests: AIS as real tagged NMEA, a shore radar as ARPA
TTM/TLL, ordinary traffic and one planted behaviour per detection rule."""

from app.simulator.lines import (
    Channel,
    SimLine,
    lines_between,
    scenario_lines,
    write_recordings,
)
from app.simulator.model import Scenario, SimRadar, SimVessel, Spoof
from app.simulator.motion import VesselFix, position_at
from app.simulator.radar import radar_sentences_between, target_number
from app.simulator.scenario import sentences_between, tag_block
from app.simulator.scenarios import demo_scenario, mixed_scenario
from app.simulator.udp_sender import UdpSender

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
