"""Site configuration shipped with ShoreWatch (YAML and GeoJSON), found through importlib."""
