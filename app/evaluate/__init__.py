"""`shorewatch evaluate`: detection quality against labelled truth, per rule.

Engineers tuning thresholds need a number, not an impression: precision, recall and F1 per rule
on labelled recordings, with every miss and false alarm listed (docs/detection.md,
"Evaluation").
"""
