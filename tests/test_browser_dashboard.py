"""The executive dashboard in a real browser, on the sample company of a first start (several families, 18
months, approved plans of earlier cycles): the KPI cards hold the engine's values, the demand plan adds up
and compares with last month's approved plan and last year's actuals as the engine does, the trend charts
draw the target bands, and an edit made elsewhere appears on the open page without a reload. Screenshots
at 1920×1080 (projector) and 1366×768 (laptop), with no horizontal page overflow at either size.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import kpi_value, shot, table_cell

pytestmark = pytest.mark.browser

KPIS = ["mape", "bias_pct", "plan_attainment", "revenue_attainment", "capacity_utilization",
        "inventory_turns", "days_of_supply"]


@pytest.fixture(scope="module")
def sample(start_app):
    """A server of its own, started on an empty database: it holds the sample company and its history of
    approved plans. Yields (server, PlanService of the test process on the same database)."""
    from services.plan_service import PlanService
    from data.store import Store, make_engine

    server = start_app("dashboard")
    engine = make_engine(f"sqlite:///{server.workdir}/sop.db")
    yield server, PlanService(Store(engine))
    engine.dispose()


def expected_comparison(svc):
    """The engine's plan vs last month (the latest approved cycle before the current one) and last year."""
    from planning.trends import plan_comparison

    store = svc.store
    plan = svc.current_plan()
    cycle = store.current_cycle()["period"]
    snaps = store.plan_snapshots()
    earlier = snaps[snaps["cycle_period"] < cycle]
    last = earlier[earlier["cycle_period"] == earlier["cycle_period"].max()]
    previous = last[last["version_id"] == last["version_id"].max()][["item_id", "period", "consensus"]]
    assert len(previous), "the sample company comes with approved plans of earlier cycles"
    data = store.load_company()
    return plan, plan_comparison(plan.consensus, previous, data.history, data.items)


def value(page, table: str, row: str, col: str) -> float:
    return float(table_cell(page, table, row, col)[1])


def test_cards_tables_and_trends_hold_the_engines_figures(new_page, sample):
    server, svc = sample
    page = new_page(server.url, "1920")
    page.goto("/")
    page.wait_for_selector("#dash-demand-table")
    plan, comparison = expected_comparison(svc)

    # KPI cards: each an element kpi-<name> whose data-value is the engine's number
    for name in KPIS:
        expected = plan.kpis[name]["value"]
        assert kpi_value(page, name) == pytest.approx(expected, rel=1e-9), name
        assert page.locator(f"#kpi-{name}").get_attribute("data-status") == plan.kpis[name]["status"]

    # demand plan: three months, the quarter is their sum, vs last month / last year as the engine compares
    months = plan.horizon[:3]
    part = comparison[comparison["period"].isin(months)]
    for family, rows in part.groupby("family"):
        shown = [value(page, "dash-demand-table", family, m) for m in months]
        quarter = value(page, "dash-demand-table", family, "quarter")
        assert quarter == pytest.approx(sum(shown))
        assert quarter == pytest.approx(rows["plan"].sum())
        for col, key in (("last_month", "vs_last_month"), ("last_year", "vs_last_year")):
            base = rows[col].sum()
            assert value(page, "dash-demand-table", family, key) == pytest.approx(
                (rows["plan"].sum() - base) * 100 / base), (family, key)
    for m in months:
        month_total = part.loc[part["period"] == m, "plan"].sum()
        assert value(page, "dash-demand-table", "Total", m) == pytest.approx(month_total)
    total = value(page, "dash-demand-table", "Total", "quarter")
    assert value(page, "dash-demand-table", "Total", "vs_last_month") == pytest.approx(
        (total - part["last_month"].sum()) * 100 / part["last_month"].sum())
    # a change against last month is written with its sign
    text = table_cell(page, "dash-demand-table", "Total", "vs_last_month")[0]
    assert text[0] in "+\u2212" or text == "0.0 %"

    # supply & constraints: each family-month of the quarter with its status and the chosen solution
    fp = plan.family_plan[plan.family_plan["period"].isin(months)]
    for r in fp.itertuples():
        status = table_cell(page, "dash-supply-table", f"{r.family}|{r.period}", "status")[1]
        assert status == r.status
        assert table_cell(page, "dash-supply-table", f"{r.family}|{r.period}", "solution")[0]

    # financial summary: this month, next month and the quarter
    fin = plan.financials
    assert value(page, "dash-finance-table", "revenue", "this_month") == pytest.approx(
        fin.loc[fin["period"] == months[0], "revenue"].sum())
    assert value(page, "dash-finance-table", "revenue", "quarter") == pytest.approx(
        fin.loc[fin["period"].isin(months), "revenue"].sum())

    # trend charts: the target band from the settings, and the last point is the card's value
    targets = svc.settings().targets
    for name in ("mape", "bias_pct", "plan_attainment", "revenue_attainment"):
        sel = f"#dash-trend-{name} .js-plotly-plot"
        page.wait_for_function("s => { const g = document.querySelector(s); return g && g._fullData; }",
                               arg=sel)
        points, band, axis = page.evaluate(
            f"() => {{ const g = document.querySelector('{sel}'); const d = g._fullData[0];"
            " const r = g._fullLayout.shapes.find(s => s.type === 'rect');"
            " return [Array.from(d.y), [r.y0, r.y1], g._fullLayout.xaxis.type]; }")
        assert axis == "category"
        assert len(points) == 12
        assert points[-1] == pytest.approx(plan.kpis[name]["value"], rel=1e-6), name
        t = targets[name]
        if t.low is not None:
            assert band[0] == pytest.approx(t.low)
        if t.high is not None:
            assert band[1] == pytest.approx(t.high)


def test_open_dashboard_follows_edits_made_elsewhere(new_page, sample):
    server, svc = sample
    page = new_page(server.url, "1920")
    page.goto("/")
    page.wait_for_selector("#kpi-capacity_utilization")
    plan = svc.current_plan()
    first = plan.horizon[0]
    family = sorted(plan.family_plan["family"].unique())[0]
    before = kpi_value(page, "capacity_utilization")
    assert before == pytest.approx(plan.kpis["capacity_utilization"]["value"])

    # another user cuts capacity of the first month (through the plan service, as the /supply page does)
    svc.apply_capacity_edits([{"family": family, "period": first, "text": "-20%"}], reason="strike",
                             owner="sam")
    expected = svc.current_plan().kpis["capacity_utilization"]["value"]
    assert expected > before
    page.wait_for_function(
        "v => Math.abs(parseFloat(document.querySelector('#kpi-capacity_utilization').dataset.value) - v)"
        " < 1e-6",
        arg=expected, timeout=20_000)
    key = f"{family}|{first}"
    fp = svc.current_plan().family_plan.set_index(["family", "period"])
    new_capacity = fp.at[(family, first), "capacity"]
    assert value(page, "dash-supply-table", key, "capacity") == pytest.approx(new_capacity)

    # a demand change moves the demand table; a decision and an action recorded in the meeting appear too
    svc.apply_edits([{"level": "family", "key": family, "period": first, "text": "+1000"}], reason="promo",
                    owner="dana")
    demand = svc.current_plan().family_plan.set_index(["family", "period"]).at[(family, first), "demand"]
    page.wait_for_function(
        "([k, m, v]) => { const td = document.querySelector("
        "`#dash-demand-table tr[data-key=\"${k}\"] td[data-col=\"${m}\"]`);"
        " return td && Math.abs(parseFloat(td.dataset.value) - v) < 1e-6; }", arg=[family, first, demand],
        timeout=20_000)
    svc.store.add_decision({"topic": "Capacity", "decision": "Run a <i>Saturday</i> shift", "owner": "COO",
                            "decided_on": dt.date.today()})
    svc.store.add_action({"description": "Staff the Saturday shift", "owner": "Plant", "status": "open",
                          "due_date": dt.date.today()})
    page.wait_for_function("() => (document.querySelector('#dash-actions-list') || {}).innerText"
                           "?.includes('Staff the Saturday shift')", timeout=20_000)
    assert "Run a <i>Saturday</i> shift" in page.inner_text("#dash-decisions-list")  # text, never HTML
    assert page.locator("#dash-decisions-list i").count() == 0
    shot(page, "dashboard-live-1920")


@pytest.mark.parametrize("size", ["1920", "1366"])
def test_reads_on_a_projector_and_a_laptop(new_page, sample, size):
    server, _ = sample
    page = new_page(server.url, size)
    page.goto("/")
    page.wait_for_selector("#dash-supply-table")
    page.wait_for_selector("#dash-trend-revenue_attainment .js-plotly-plot")
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the dashboard is {overflow}px wider than a {size}px window"
    # all seven cards in one row, their values in large type
    tops = page.evaluate("() => Array.from(document.querySelectorAll('.kpi-card'))"
                         ".map(c => c.getBoundingClientRect().top)")
    assert len(tops) == 7 and max(tops) - min(tops) < 2
    size_px = page.evaluate("() => parseFloat(getComputedStyle("
                            "document.querySelector('#kpi-mape .kpi-value')).fontSize)")
    assert size_px >= (34 if size == "1920" else 28)
    # no card's value is cut off
    clipped = page.evaluate("() => Array.from(document.querySelectorAll('.kpi-value'))"
                            ".filter(v => v.scrollWidth > v.clientWidth + 1).length")
    assert clipped == 0
    shot(page, f"dashboard-{size}-sample", full_page=False)
    shot(page, f"dashboard-{size}-sample-full")
