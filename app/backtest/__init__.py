"""`shorewatch backtest`: what a threshold change would have raised on recorded data.

The same recordings run through the detectors under two configurations; the events each
raises and the difference (added / removed / changed, per kind, hour and zone) are shown as
tables and a plot, before the change goes live.
"""
