"""Supply cost a person can read, in a real browser on the sample company of a first start: the dashboard's
"Supply & constraints" lists the constrained months beyond the first three with their solution in units and
money, "Decisions needed" (dashboard and /pre-sop) lists them with a link to /supply, /supply's cost by
option says why each option closes the gap or cannot, and /pre-sop labels the supply cost by option and says
how to add a budget."""

from __future__ import annotations

import re

import pytest
from conftest import shot, table_cell

pytestmark = pytest.mark.browser

MONEY_SOLUTION = re.compile(r"\d[\d,]* units · \$[\d,]+")


@pytest.fixture(scope="module")
def sample(start_app):
    from data.store import Store, make_engine
    from services.plan_service import PlanService

    server = start_app("supplymoney")
    engine = make_engine(f"sqlite:///{server.workdir}/sop.db")
    yield server, PlanService(Store(engine))
    engine.dispose()


def later_constrained(plan):
    """CONSTRAINED family-months after the first three months whose solution costs money."""
    fp = plan.family_plan.merge(plan.supply_plan[["family", "period", "overtime", "outsource", "lost_sales"]],
                                on=["family", "period"])
    later = fp[~fp["period"].isin(plan.horizon[:3]) & (fp["status"] == "CONSTRAINED")]
    return later, later[(later[["overtime", "outsource", "lost_sales"]] > 0.5).any(axis=1)]


def test_dashboard_lists_constrained_months_of_the_horizon_with_solution_in_money(new_page, sample):
    server, svc = sample
    plan = svc.current_plan()
    page = new_page(server.url, "1920")
    page.goto("/")
    page.wait_for_selector("#dash-supply-table")
    page.wait_for_selector("#dash-needed-list")
    later, costed = later_constrained(plan)
    assert len(later), "the sample company has constrained months beyond the first three"
    assert len(costed), "and at least one of them is closed with overtime, outsourcing or lost sales"

    # the rows: every family-month of the quarter, then every constrained or tight month by month
    fp = plan.family_plan
    head = fp[fp["period"].isin(plan.horizon[:3])]
    rest = fp[~fp["period"].isin(plan.horizon[:3]) & fp["status"].isin(["CONSTRAINED", "TIGHT"])]
    expected = [f"{r.family}|{r.period}" for r in head.sort_values(["period", "family"]).itertuples()] + \
        [f"{r.family}|{r.period}" for r in rest.sort_values(["period", "family"]).itertuples()]
    keys = page.evaluate("() => Array.from(document.querySelectorAll('#dash-supply-table tbody tr'))"
                         ".map(tr => tr.dataset.key)")
    assert keys == expected
    for r in rest.itertuples():
        assert table_cell(page, "dash-supply-table", f"{r.family}|{r.period}", "status")[1] == r.status

    r = costed.iloc[0]
    key = f"{r['family']}|{r['period']}"
    solution = table_cell(page, "dash-supply-table", key, "solution")[0]
    assert MONEY_SOLUTION.search(solution), solution
    sp = plan.supply_plan.set_index(["family", "period"]).loc[(r["family"], r["period"])]
    cost = sum(sp[c] for u, c in (("overtime", "cost_overtime"), ("outsource", "cost_outsource"),
                                  ("lost_sales", "cost_lost_sales")) if sp[u] > 0.5)
    assert float(table_cell(page, "dash-supply-table", key, "solution_cost")[1]) == pytest.approx(cost)
    # the horizon's supply cost, option by option
    line = page.inner_text("#dash-supply-cost")
    for word in ("overtime", "outsourcing", "holding", "lost sales"):
        assert word in line

    # decisions needed: each constrained month, linked to /supply
    item = page.locator(f'#dash-needed-list li[data-key="supply|{key}"]')
    assert item.count() == 1
    assert MONEY_SOLUTION.search(item.inner_text())
    link = item.locator("a")
    assert link.get_attribute("href") == f"/supply?family={r['family']}"
    shot(page, "dashboard-supply-money")
    link.click()
    page.wait_for_url(re.compile(r".*/supply\?family=.*"))
    page.wait_for_selector("#supply-options-table")

    # /supply: each option alone says whether it closes the gap and why, never a bare "—"
    reasons = page.evaluate("() => Array.from(document.querySelectorAll('#supply-options-table tbody tr'))"
                            ".map(tr => [tr.dataset.key, tr.querySelector('td[data-col=\"reason\"]').innerText,"
                            " tr.querySelector('td[data-col=\"closes\"]').innerText])")
    assert [k for k, _, _ in reasons] == ["do_nothing", "overtime", "outsource", "build_ahead", "optimized"]
    for _key, reason, closes in reasons:
        assert reason.strip() and reason.strip() != "\u2014" and closes in ("Yes", "No")
    assert page.locator("#supply-cost-table tr[data-key=holding]").count() == 1
    shot(page, "supply-options-reasons")


def test_pre_sop_lists_decisions_and_labels_the_supply_cost(new_page, sample):
    server, svc = sample
    plan = svc.current_plan()
    page = new_page(server.url, "1920")
    page.goto("/pre-sop")
    page.wait_for_selector("#presop-needed-list")
    _, costed = later_constrained(plan)
    r = costed.iloc[0]
    item = page.locator(f'#presop-needed-list li[data-key="supply|{r["family"]}|{r["period"]}"]')
    assert item.count() == 1 and item.locator("a").get_attribute("href") == f"/supply?family={r['family']}"
    page.wait_for_selector("#presop-exec-summary")
    summary = page.inner_text("#presop-exec-summary")
    assert "holding" in summary and "overtime" in summary and "lost sales" in summary
    # no budget in the sample company: the panel says how to add one, and working capital is shown
    page.wait_for_selector("#presop-budget-empty")
    assert "budget" in page.inner_text("#presop-budget-empty")
    assert page.locator("#presop-working-capital tbody tr").count() == len(plan.horizon)
    shot(page, "pre-sop-decisions-budget")


def test_money_against_budget_after_uploading_a_budget(new_page, sample, tmp_path):
    """The reference example with a budget sheet (January: Electronics 10,000 units for $950,000, Appliances
    6,000 for $420,000): /pre-sop shows the variance and its split, and Electronics' gap (+15.8 %) is a
    decision needed, linked to the budget panel. (Runs last: it replaces the sample company.)"""
    import pandas as pd
    from conftest import seed_example_dir, upload_file

    server, svc = sample
    book = tmp_path / "with-budget.xlsx"
    with pd.ExcelWriter(book) as xl:
        for name in ("items", "history", "capacity", "forecast", "adjustments"):
            pd.read_csv(seed_example_dir() / f"{name}.csv").to_excel(xl, sheet_name=name, index=False)
        pd.DataFrame({"family": ["Electronics", "Appliances"], "period": ["2025-01", "2025-01"],
                      "revenue": [950_000, 420_000], "units": [10_000, 6_000]}).to_excel(
            xl, sheet_name="budget", index=False)
    page = new_page(server.url, "1920")
    upload_file(page, book)
    page.goto("/pre-sop")
    page.wait_for_selector("#presop-budget-family")
    cell = lambda row, col: float(table_cell(page, "presop-budget-family", row, col)[1])  # noqa: E731
    assert cell("Electronics", "revenue_variance") == pytest.approx(150_000)
    assert cell("Electronics", "volume") == pytest.approx(95_000)
    assert cell("Electronics", "price") == pytest.approx(55_000)
    assert cell("Total", "mix") == pytest.approx(25_000)
    assert cell("Total", "volume") + cell("Total", "price") + cell("Total", "mix") == pytest.approx(
        cell("Total", "revenue_variance"))
    item = page.locator('#presop-needed-list li[data-key="budget|Electronics"]')
    assert item.count() == 1 and item.locator("a").get_attribute("href") == "/pre-sop#presop-budget"
    assert page.locator('#presop-needed-list li[data-key="supply|Electronics|2025-01"]').inner_text().count(
        "Overtime 1,000 units · $15,000") == 1
    shot(page, "pre-sop-budget")
