"""One rule per module: pure functions of (target state, observation, thresholds) -> events."""
