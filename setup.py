"""The one compiled part of ShoreWatch: the AIS line scan in C (ingest/ais_lines.py says why).
Everything else is declared in pyproject.toml; gcc and the Python headers build this."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("ingest._ais_lines", ["ingest/_ais_lines.c"], extra_compile_args=["-O2"]),
    ]
)
