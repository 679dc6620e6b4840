"""wgan_core — the compute library of the WGAN classroom.

Distances, data, models, losses, the trainer, metrics, recorded runs and the CLI. It never imports
streamlit or plotly, and imports on a machine that has torch but not POT (POT is imported lazily).
"""

__version__ = "0.1.0"
