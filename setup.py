"""The one compiled part of ShoreWatch: the AIS line scan in C (ingest/ais_lines.py says why).
Everything else is declared in pyproject.toml. gcc and the Python headers build it; where they
are missing the install goes on without it (`optional`), the decoder runs the same scan in
Python, slower, and says so when a receiver starts (tests/unit/test_ais_lines.py fails)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ingest._ais_lines",
            ["ingest/_ais_lines.c"],
            extra_compile_args=["-O2"],
            optional=True,
        ),
    ]
)
