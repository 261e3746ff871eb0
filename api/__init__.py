"""The operators' and dispatchers' HTTP API (FastAPI) and its live feed."""
