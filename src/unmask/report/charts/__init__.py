"""Charts of the report and the web UI: one style (style.py), Vega-Lite specs (specs.py), SVG (render.py)."""
