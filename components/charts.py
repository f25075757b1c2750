"""Plotly chart helpers: every chart has a title and axis labels, and 'YYYY-MM' periods are categories
(Plotly would otherwise parse them as dates)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

FONT = "Lato, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
# Series colours: blues, purples and greys. Green/amber/red are reserved for status.
SERIES_COLOURS = ["#2c3e50", "#3498db", "#8e44ad", "#95a5a6", "#1f6f9f", "#b39ddb", "#5d6d7e", "#76b7e0"]
STATUS_GOOD, STATUS_WARN, STATUS_BAD = "#18bc9c", "#f39c12", "#e74c3c"


def style(fig: go.Figure, title: str, x_title: str, y_title: str, *, category_x: bool = True,
          height: int | None = 400, legend: bool = True) -> go.Figure:
    """Apply the house style, title and axis labels to a figure."""
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#2c3e50"},
        colorway=SERIES_COLOURS,
        margin={"l": 60, "r": 20, "t": 50, "b": 100 if legend else 50},
        height=height,
        showlegend=legend,
        # under the plot, so a long legend never runs into the title on a narrow panel
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0},
        hovermode="x unified",
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, separatethousands=True, rangemode="tozero")
    if category_x:
        fig.update_xaxes(type="category")
    return fig


def empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    style(fig, title, "", "", legend=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#7f8c8d"},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def thin_ticks(fig: go.Figure, categories, max_ticks: int = 12) -> go.Figure:
    """On a long category axis label every n-th period only, so labels stay horizontal and legible
    (also on a half-width panel)."""
    cats = list(dict.fromkeys(str(c) for c in categories))
    if len(cats) > max_ticks:
        step = -(-len(cats) // max_ticks)
        fig.update_xaxes(tickmode="array", tickvals=cats[::step], ticktext=cats[::step])
    fig.update_xaxes(tickangle=0)
    return fig


def line_chart(df: pd.DataFrame, x: str, series: dict[str, str], title: str, x_title: str, y_title: str,
               dashed: tuple[str, ...] = (), colours: dict[str, str] | None = None) -> go.Figure:
    """One line per column of `df` named in `series` ({column: legend name})."""
    fig = go.Figure()
    for col, name in series.items():
        if col not in df:
            continue
        line = {"dash": "dash" if col in dashed else "solid", "width": 2}
        if colours and col in colours:
            line["color"] = colours[col]
        fig.add_trace(go.Scatter(
            x=df[x].astype(str), y=df[col], name=name, mode="lines+markers", marker={"size": 5},
            line=line, hovertemplate="%{y:,.0f}",
        ))
    style(fig, title, x_title, y_title)
    return thin_ticks(fig, sorted(df[x].astype(str).unique()))


def band(fig: go.Figure, x, low, high, name: str = "80 % interval") -> go.Figure:
    """Shade a prediction interval between `low` and `high`."""
    fig.add_trace(go.Scatter(x=list(x) + list(x)[::-1], y=list(high) + list(low)[::-1], fill="toself",
                             fillcolor="rgba(52,152,219,0.15)", line={"width": 0}, name=name,
                             hoverinfo="skip"))
    return fig


def bar_chart(df: pd.DataFrame, x: str, series: dict[str, str], title: str, x_title: str, y_title: str,
              barmode: str = "group") -> go.Figure:
    fig = go.Figure()
    for col, name in series.items():
        if col in df:
            fig.add_trace(go.Bar(x=df[x].astype(str), y=df[col], name=name, hovertemplate="%{y:,.0f}"))
    fig.update_layout(barmode=barmode)
    style(fig, title, x_title, y_title)
    return thin_ticks(fig, sorted(df[x].astype(str).unique()))


def utilization_heatmap(pivot: pd.DataFrame, title: str, x_title: str = "Month",
                        y_title: str = "Family") -> go.Figure:
    """Utilization % (rows = families, columns = periods): green below 90 %, amber to 100 %, red above."""
    z = pivot.to_numpy(dtype=float)
    zmin, zmax = 50.0, 130.0

    def at(v: float) -> float:
        return (v - zmin) / (zmax - zmin)

    scale = [[0.0, "#d4f2eb"], [at(80), "#18bc9c"], [at(90), "#f7dc6f"], [at(100), "#f39c12"],
             [at(100.01), "#f1948a"], [1.0, "#c0392b"]]
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in pivot.columns], y=[str(i) for i in pivot.index], zmin=zmin, zmax=zmax,
        colorscale=scale, colorbar={"title": {"text": "Util. %"}, "ticksuffix": " %"},
        text=[[("" if pd.isna(v) else f"{v:.0f}%") for v in row] for row in z], texttemplate="%{text}",
        hovertemplate="%{y} %{x}: %{z:.1f} %<extra></extra>", xgap=2, ygap=2,
    ))
    style(fig, title, x_title, y_title, legend=False, height=max(260, 60 + 44 * len(pivot.index)))
    fig.update_yaxes(type="category", autorange="reversed", rangemode=None)
    fig.update_layout(hovermode="closest")
    return fig
