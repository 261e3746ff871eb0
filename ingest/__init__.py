"""Sensor inputs: raw sentences and frames in, schema messages out."""
