"""Streamlit front end of the WGAN classroom. Views read widgets, call lessons/wgan_core, draw."""
