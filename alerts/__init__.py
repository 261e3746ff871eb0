"""Alerts: scoring, grouping, lifecycle and the service that turns events into alerts."""
