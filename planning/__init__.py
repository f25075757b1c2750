"""The planning engine: pure pandas/numpy/scipy, no Dash, no database."""
