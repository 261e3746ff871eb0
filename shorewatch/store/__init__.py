"""The time-series and relational store (PostgreSQL, with TimescaleDB when available)."""
