"""Site configuration: pydantic models of the site YAML, one module per concern.

`site.py` composes the leaf models (thresholds, alerts, units, cameras, vision, jurisdictions)
into `SiteConfig` and loads the YAML; the leaves import nothing from `site.py`.
"""
