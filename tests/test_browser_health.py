"""Process health in a real browser: the KPI table names every KPI of the registry (a figure, or what to upload);
the maturity assessment is answered, survives a reload and draws this cycle against the previous one on the
radar; the company profile's objectives change the default scenario weights on 4 Pre-S&OP and its demand character
the forecast candidates on the settings form."""

from __future__ import annotations

import pytest
from conftest import shot, store_of

from planning.kpis import kpi_names

pytestmark = pytest.mark.browser

RADAR = "#metrics-maturity-radar .js-plotly-plot"


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("health")


def settle(page) -> None:
    for _ in range(2):
        page.wait_for_function("() => !document.querySelector('._dash-loading-callback')")
        page.wait_for_timeout(150)


def wait_text(page, selector: str, text: str) -> None:
    page.wait_for_function("([s, t]) => { const e = document.querySelector(s); return e && e.innerText.includes(t); }",
                           arg=[selector, text])


def wait_value(page, selector: str) -> None:
    page.wait_for_function("s => { const e = document.querySelector(s); return e && e.value !== ''; }", arg=selector)


def radar_traces(page) -> list[str]:
    page.wait_for_function("s => { const g = document.querySelector(s); return g && g._fullData"
                           " && g._fullData.length; }", arg=RADAR)
    return page.evaluate(f"() => document.querySelector('{RADAR}')._fullData.map(t => t.name)")


def test_every_kpi_has_a_row_with_a_figure_or_what_to_upload(new_page, server):
    page = new_page(server.url)
    page.goto("/metrics")
    page.wait_for_selector('#metrics-kpi-table tr[data-key="plan_stability"]')
    for name in kpi_names():
        assert page.locator(f'#metrics-kpi-table tr[data-key="{name}"]').count() == 1, name
    for name in ("plan_stability", "cycle_time", "decisions_on_time", "actions_on_time", "working_capital_days",
                 "agenda_time_kept", "mape"):
        value = page.get_attribute(f'#metrics-kpi-table tr[data-key="{name}"]', "data-value")
        assert value is not None and float(value) == float(value), name
    for name, table in (("inventory_accuracy", "inventory_count"), ("gross_margin_vs_plan", "budget"),
                        ("production_attainment", "production")):
        row = f'#metrics-kpi-table tr[data-key="{name}"]'
        assert page.get_attribute(row, "data-value") is None
        assert f"{table} table" in page.inner_text(row) and "upload" in page.inner_text(row)
    # plan stability has a history over the past cycles
    page.click("#metrics-kpi-choice")
    page.locator("[role=option]").filter(has_text="Plan stability").first.click()
    page.wait_for_function("() => { const g = document.querySelector('#metrics-trend .js-plotly-plot');"
                           " return g && g._fullData && g._fullData[0] && g._fullData[0].name === 'Plan stability'; }")
    n = page.evaluate("() => document.querySelector('#metrics-trend .js-plotly-plot')._fullData[0].x.length")
    assert n >= 5


def test_answer_the_assessment_reload_and_see_it(new_page, server):
    page = new_page(server.url)
    page.goto("/metrics")
    # the sample's two past assessments: the newest (2025-12) against this cycle's proposal
    names = radar_traces(page)
    assert len(names) == 2 and names[0].startswith("2025-12") and "proposed" in names[1]
    assert page.locator("#metrics-maturity-progress-table tbody tr").count() == 2
    assert "MAPE 16.7 %" in page.inner_text('[data-statement="measure_accuracy"]')
    assert "6 cycles" in page.inner_text('[data-statement="process_monthly"]')

    page.locator('[data-statement="tools_scenarios"] input[value="2"]').check()
    page.locator('[data-statement="finance_strategy"] input[value="1"]').check()
    page.click("#metrics-maturity-save")
    wait_text(page, "#metrics-maturity-msg", "saved")
    settle(page)
    shot(page, "metrics-maturity-saved")

    page.reload()
    names = radar_traces(page)
    assert len(names) == 2 and names[0].startswith("2025-12") and names[1].startswith("2026-01")
    assert "proposed" not in names[1]
    assert page.locator('[data-statement="tools_scenarios"] input[value="2"]').is_checked()
    assert page.locator('[data-statement="finance_strategy"] input[value="1"]').is_checked()
    assert page.locator("#metrics-maturity-progress-table tbody tr").count() == 3
    with store_of(server) as store:
        answers = store.maturity_answers()
    mine = answers[answers["cycle_period"] == "2026-01"].set_index("statement")
    assert mine.loc["tools_scenarios", "answer"] == 2 and mine.loc["finance_strategy", "answer"] == 1
    assert mine.loc["measure_accuracy", "proposed"] == 2  # the proposal it confirmed


def test_profile_objectives_set_the_weights_on_pre_sop(new_page, server):
    page = new_page(server.url)
    page.goto("/pre-sop")
    wait_value(page, "#presop-w-service")
    assert float(page.input_value("#presop-w-service")) == pytest.approx(0.4)

    page.goto("/profile")
    wait_text(page, "#profile-facts", "47 items")
    assert "seasonal" in page.inner_text("#profile-uses").lower()
    for objective, label in (("service", "not a priority"), ("growth", "not a priority"), ("margin", "top"),
                             ("inventory", "top")):
        page.click(f"#profile-prio-{objective}")
        page.locator("[role=option]").filter(has_text=label).first.click()
    page.click("#profile-character")  # the demand character picks the forecast candidates
    page.locator("[role=option]").filter(has_text="Project-based").first.click()
    page.click("#profile-save")
    wait_text(page, "#profile-msg", "saved")
    # service 1 + 0 + 0, cost 1 + 3 + 3, feasibility 2: 0.1 / 0.7 / 0.2
    shot(page, "profile-saved")
    page.wait_for_function("() => { const w = document.querySelector('#profile-weights');"
                           " return w && w.getAttribute('data-value') === '0.1,0.7,0.2'; }")

    wait_text(page, "#profile-targets", "(in force)")
    with store_of(server) as store:
        settings = store.get_settings()
    assert settings.targets["plan_attainment"].low == 95.0  # the service objective's target
    assert settings.targets["days_of_supply"].high == 45.0  # the inventory objective's target
    assert settings.forecast_candidates == ("CrostonOptimized", "ADIDA", "IMAPA", "SeasonalNaive", "AutoETS",
                                            "AutoTheta", "baseline_ma3_trend")
    wait_text(page, "#profile-candidates", "(in force")
    assert "Croston, ADIDA, IMAPA" in page.inner_text("#profile-candidates")

    page.goto("/metrics")  # the settings form shows them ticked, from the profile, to override there
    wait_text(page, "#metrics-forecast-candidates-source", "from your company profile (project-based)")
    ticked = page.eval_on_selector_all("#metrics-set-forecast-candidates input:checked", "els => els.map(e => e.value)")
    assert set(ticked) == set(settings.forecast_candidates)

    page.goto("/pre-sop")
    wait_value(page, "#presop-w-service")
    assert float(page.input_value("#presop-w-service")) == pytest.approx(0.1)
    assert float(page.input_value("#presop-w-cost")) == pytest.approx(0.7)
    assert float(page.input_value("#presop-w-feas")) == pytest.approx(0.2)
    wait_text(page, "#presop-w-source", "from your company profile")


def test_uploaded_counts_production_and_budget_give_their_kpis(new_page, start_app, tmp_path):
    """The rows that said what to upload show a figure once the tables are uploaded."""
    from conftest import seed_example_dir, upload_file, write_workbook_from_csv
    from openpyxl import load_workbook

    path = write_workbook_from_csv(seed_example_dir(), tmp_path / "with-counts.xlsx")
    wb = load_workbook(path)
    for name, rows in {
        "inventory_count": [["item_id", "period", "counted", "recorded"], ["E-100", "2024-12", 100, 101],
                            ["A-200", "2024-12", 90, 100]],
        "production": [["family", "period", "produced_units"], ["Electronics", "2024-12", 9000],
                       ["Appliances", "2024-12", 5000]],
        "budget": [["family", "period", "revenue", "units"], ["Electronics", "2025-01", 900000, 9000],
                   ["Appliances", "2025-01", 400000, 5000]],
    }.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    server = start_app("health-upload")
    page = new_page(server.url)
    upload_file(page, path)
    page.goto("/metrics")
    row = '#metrics-kpi-table tr[data-key="{}"]'
    page.wait_for_selector(row.format("inventory_accuracy") + "[data-value]")
    assert float(page.get_attribute(row.format("inventory_accuracy"), "data-value")) == pytest.approx(50.0)
    # 9,000 + 5,000 produced against the plan made for 2024-12, 10,507 + 5,153
    assert float(page.get_attribute(row.format("production_attainment"), "data-value")) == pytest.approx(
        14000 / 15660 * 100)
    assert page.get_attribute(row.format("gross_margin_vs_plan"), "data-value") is not None
