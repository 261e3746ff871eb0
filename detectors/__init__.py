"""Detector workers: per-target state in event time, rules that turn observations into events."""
