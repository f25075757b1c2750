"""Plotly chart helpers: every chart has a title and axis labels, and 'YYYY-MM' periods are categories
(Plotly would otherwise parse them as dates)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go

FONT = "Lato, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
# Series colours: blues, purples and greys. Green/amber/red are reserved for status.
SERIES_COLOURS = ["#2c3e50", "#3498db", "#8e44ad", "#95a5a6", "#1f6f9f", "#b39ddb", "#5d6d7e", "#76b7e0"]
STATUS_GOOD, STATUS_WARN, STATUS_BAD = "#18bc9c", "#f39c12", "#e74c3c"


_TEMPLATE: go.layout.Template | None = None


def house_template() -> go.layout.Template:
    """plotly_white's layout (and its bar style) without its defaults for the other forty trace types: the
    same look, a third of the JSON."""
    global _TEMPLATE
    if _TEMPLATE is None:
        import plotly.io as pio

        white = pio.templates["plotly_white"]
        _TEMPLATE = go.layout.Template(layout=white.layout, data={"bar": white.data.bar})
    return _TEMPLATE


def _use_house_template() -> None:
    """Every figure of the process starts with the house template. Plotly gives a new figure its default
    template without validating it again; assigned per figure (`update_layout(template=…)`) it was copied
    and validated each time, about 10 ms of every chart a page draws."""
    import plotly.io as pio

    pio.templates["sop_house"] = house_template()
    pio.templates.default = "sop_house"


_use_house_template()


def style(fig: go.Figure, title: str, x_title: str, y_title: str, *, category_x: bool = True,
          height: int | None = 400, legend: bool = True) -> go.Figure:
    """Apply the house style, title and axis labels to a figure (one layout update: each is validated)."""
    xaxis: dict = {"title": {"text": x_title}}
    if category_x:
        xaxis["type"] = "category"
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#2c3e50"},
        colorway=SERIES_COLOURS,
        margin={"l": 60, "r": 20, "t": 50, "b": 100 if legend else 50},
        height=height,
        showlegend=legend,
        # under the plot, so a long legend never runs into the title on a narrow panel
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0},
        hovermode="x unified",
        xaxis=xaxis,
        yaxis={"title": {"text": y_title}, "separatethousands": True, "rangemode": "tozero"},
    )
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


# ---------------------------------------------------------------------------- supply and dashboard charts
# These return plain figure dicts in the house style: building a go.Figure validates every value (a
# heatmap's hover data alone takes a few hundred ms), and these are redrawn after every edit.

_BASE_LAYOUT: str | None = None


def house_layout(updates: dict) -> dict:
    """The house layout as a plain dict, merged with `updates` (see `_layout`)."""
    return _layout(updates)


def _layout(updates: dict) -> dict:
    """The house layout (`style`, computed once) merged with `updates` (nested dicts merge; None deletes)."""
    global _BASE_LAYOUT
    if _BASE_LAYOUT is None:
        _BASE_LAYOUT = go.Figure(layout=style(go.Figure(), "", "", "").layout).to_json()
    base = json.loads(_BASE_LAYOUT)["layout"]

    def merge(into: dict, upd: dict) -> dict:
        for k, v in upd.items():
            if v is None:
                into.pop(k, None)
            elif isinstance(v, dict) and isinstance(into.get(k), dict):
                merge(into[k], v)
            else:
                into[k] = v
        return into

    return merge(base, updates)


def ticks(categories: list[str], max_ticks: int = 12) -> dict:
    """x-axis settings that label every n-th period only (as `thin_ticks`), for a figure dict."""
    return _ticks(categories, max_ticks)


def numbers(values) -> list:
    """Numbers for a figure dict: NaN and ±inf become None."""
    return _num(values)


def _ticks(categories: list[str], max_ticks: int) -> dict:
    """x-axis settings that label every n-th period only (as `thin_ticks`)."""
    cats = list(dict.fromkeys(str(c) for c in categories))
    out: dict = {"tickangle": 0}
    if len(cats) > max_ticks:
        step = -(-len(cats) // max_ticks)
        out.update(tickmode="array", tickvals=cats[::step], ticktext=cats[::step])
    return out


def _num(values) -> list:
    """Numbers for JSON: NaN and ±inf become None."""
    arr = np.asarray(values, dtype=float)
    return [None if not np.isfinite(v) else float(v) for v in arr]


def _status_scale(zmin: float, zmax: float, tight: float) -> list[list]:
    """A colour scale for utilization % with the status breaks: greens up to `tight` (the target's upper
    bound; OK), amber above it up to 100 (TIGHT), reds above 100 (CONSTRAINED)."""
    def at(v: float) -> float:
        return min(1.0, max(0.0, (v - zmin) / (zmax - zmin)))

    t, full = at(tight), at(100.0)
    eps = 1e-6
    return [[0.0, "#e3f7f2"], [t, "#7fd6c2"], [min(t + eps, full), "#fbe3b0"], [full, STATUS_WARN],
            [min(full + eps, 1.0), "#f5b7b1"], [1.0, "#b83224"]]


def capacity_heatmap(family_plan: pd.DataFrame, horizon: list[str], tight: float = 90.0,
                     title: str = "Utilization by family and month") -> dict:
    """Utilization % of `family_plan` (family, period, demand, capacity, gap, utilization, status) as a
    family × month heatmap (a figure dict). Colours break at `tight` (TIGHT above it) and 100 %
    (CONSTRAINED above); the hover shows demand, capacity, gap and status. Both axes are categories."""
    families = sorted(family_plan["family"].unique())

    def pivot(col: str) -> pd.DataFrame:
        return family_plan.pivot(index="family", columns="period", values=col).reindex(index=families,
                                                                                       columns=horizon)

    shown = pivot("utilization").to_numpy(dtype=float)
    finite = shown[np.isfinite(shown)]
    zmin = float(min(50.0, tight - 10.0, np.floor(finite.min() / 10) * 10 if finite.size else 50.0))
    zmax = float(max(130.0, min(np.ceil(finite.max() / 10) * 10 if finite.size else 130.0, 200.0)))
    z = [[None if np.isnan(v) else min(float(v), zmax) for v in row] for row in shown]
    def label(v: float, fmt: str) -> str:
        return "" if np.isnan(v) else ("∞" if np.isinf(v) else fmt.format(v))

    text = [[label(v, "{:.0f}%") for v in row] for row in shown]
    util_text = [[label(v, "{:,.1f} %") for v in row] for row in shown]
    numbers = [pivot(c).to_numpy(dtype=float) for c in ("demand", "capacity", "gap")]
    status = pivot("status").to_numpy(dtype=object)
    custom = [[[*(None if np.isnan(n[i][j]) else float(n[i][j]) for n in numbers),
                status[i][j] if isinstance(status[i][j], str) else "", util_text[i][j]]
               for j in range(len(horizon))] for i in range(len(families))]
    trace = {
        "type": "heatmap", "z": z, "x": list(horizon), "y": families, "zmin": zmin, "zmax": zmax,
        "colorscale": _status_scale(zmin, zmax, tight), "customdata": custom, "text": text,
        "texttemplate": "%{text}", "textfont": {"size": 12}, "xgap": 2, "ygap": 2,
        "colorbar": {"title": {"text": "Utilization", "side": "right"}, "ticksuffix": " %",
                     "tickvals": [zmin, tight, 100.0, zmax], "orientation": "h", "thickness": 10, "len": 0.5,
                     "x": 1.0, "xanchor": "right", "y": -0.12, "yanchor": "top"},
        "hovertemplate": ("<b>%{y} · %{x}</b><br>Utilization %{customdata[4]}<br>Demand %{customdata[0]:,.0f}"
                          "<br>Capacity %{customdata[1]:,.0f}<br>Gap %{customdata[2]:,.0f}"
                          "<br>Status %{customdata[3]}<extra></extra>"),
    }
    layout = _layout({
        "title": {"text": title}, "height": max(260, 130 + 46 * len(families)), "showlegend": False,
        "hovermode": "closest", "margin": {"l": 110, "r": 20, "t": 50, "b": 90},
        "xaxis": {"type": "category", "title": {"text": ""}, "side": "bottom", **_ticks(horizon, 18)},
        "yaxis": {"type": "category", "autorange": "reversed", "rangemode": None, "title": {"text": ""}},
    })
    return {"data": [trace], "layout": layout}


def inventory_projection(inv: pd.DataFrame, family: str) -> dict:
    """One family's projected ending inventory (units) with its safety stock and its target
    (safety + cycle stock, dashed), as a figure dict.

    `inv`: period, ending, safety_stock, target_inventory."""
    part = inv.sort_values("period")
    x = part["period"].astype(str).tolist()

    def line(col: str, name: str, colour: str, width: int, dash: str | None = None,
             markers: bool = False) -> dict:
        return {"type": "scatter", "x": x, "y": _num(part[col]), "name": name,
                "mode": "lines+markers" if markers else "lines", "marker": {"size": 6},
                "line": {"color": colour, "width": width, **({"dash": dash} if dash else {})},
                "hovertemplate": "%{y:,.0f} units"}

    traces = [line("ending", "Projected ending inventory", SERIES_COLOURS[1], 3, markers=True),
              line("safety_stock", "Safety stock", SERIES_COLOURS[0], 2, "dot"),
              line("target_inventory", "Target (safety + cycle stock)", SERIES_COLOURS[2], 2, "dash")]
    layout = _layout({
        "title": {"text": f"{family}: projected ending inventory"}, "height": 380,
        "margin": {"l": 70, "r": 20, "t": 50, "b": 90}, "legend": {"y": -0.22},
        "xaxis": {"type": "category", "title": {"text": "Month"}, **_ticks(x, 9)},
        "yaxis": {"title": {"text": "Units"}},
    })
    return {"data": traces, "layout": layout}


def kpi_trend(df: pd.DataFrame, x: str, y: str, title: str, low: float | None, high: float | None,
              suffix: str = " %", height: int = 260) -> dict:
    """A KPI month by month with its target band [low, high] shaded (an open end is drawn to the edge of
    the plot), as a figure dict. The y range covers both the data and the band."""
    values = pd.to_numeric(df[y], errors="coerce").to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    lo_data = float(finite.min()) if finite.size else 0.0
    hi_data = float(finite.max()) if finite.size else 1.0
    bounds = [float(b) for b in (low, high) if b is not None]
    y0, y1 = min([lo_data, *bounds]), max([hi_data, *bounds])
    pad = max((y1 - y0) * 0.15, 1.0)
    r0, r1 = y0 - pad, y1 + pad
    if y0 >= 0 > r0:
        r0 = 0.0
    periods = df[x].astype(str).tolist()
    shapes = []
    if bounds:
        shapes.append({"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                       "y0": low if low is not None else r0, "y1": high if high is not None else r1,
                       "fillcolor": "rgba(24,188,156,0.14)", "line": {"width": 0}, "layer": "below"})
        shapes += [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": b, "y1": b,
                    "line": {"color": STATUS_GOOD, "width": 1, "dash": "dot"}, "layer": "below"}
                   for b in bounds]
    trace = {"type": "scatter", "x": periods, "y": _num(values), "mode": "lines+markers", "name": title,
             "line": {"color": SERIES_COLOURS[0], "width": 3}, "marker": {"size": 6},
             "hovertemplate": "%{x}: %{y:.1f}" + suffix + "<extra></extra>"}
    layout = _layout({
        "title": {"text": title, "font": {"size": 15}}, "height": height, "showlegend": False,
        "hovermode": "closest", "margin": {"l": 50, "r": 12, "t": 42, "b": 36}, "shapes": shapes,
        "xaxis": {"type": "category", "title": {"text": ""}, **_ticks(periods, 6)},
        "yaxis": {"title": {"text": ""}, "range": [r0, r1], "autorange": False, "rangemode": None,
                  "ticksuffix": suffix},
    })
    return {"data": [trace], "layout": layout}
