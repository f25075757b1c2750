"""Reusable view pieces: formats, KPI cards, status badges, grids, charts, upload box, empty states."""
