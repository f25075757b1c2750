"""2 Demand in a real browser: typed family edits spread to the items and move the supply gap, `+10%`, a
pasted 2×3 block as one change, undo / redo (buttons and keys), the audit trail and its filters, a reload
showing the same plan, a bad entry that changes nothing, and the assumptions round trip.

The module makes the sample company (47 items in 4 families, 18 months) the current data of the session's
app, with its statistical forecast given (so nothing recomputes it under the tests) and the default
settings. Expected figures are computed here from the same database with the engine (`PlanService`).
The tests run in file order and build on each other's changes.
"""

from __future__ import annotations

import pytest
from conftest import grid_row, shot

pytestmark = pytest.mark.browser

GRID = "demand-grid"
READ = "([g, r, p]) => { const n = dash_ag_grid.getApi(g).getRowNode(r); return n ? n.data[p] : undefined; }"


class Plan:
    """The app's database seen from the test: the engine's plan and the stored changes."""

    def __init__(self, url: str) -> None:
        from services.plan_service import PlanService
        from data.store import Store, make_engine

        self.engine = make_engine(url)
        self.store = Store(self.engine)
        self.service = PlanService(self.store)

    def plan(self):
        return self.service.current_plan()

    def consensus(self, key: str, period: str, level: str = "item") -> float:
        c = self.plan().consensus
        col = "item_id" if level == "item" else "family"
        return float(c.loc[(c[col] == key) & (c["period"] == period), "consensus"].sum())

    def items(self, family: str, period: str) -> dict[str, float]:
        c = self.plan().consensus
        part = c[(c["family"] == family) & (c["period"] == period)]
        return dict(zip(part["item_id"], part["consensus"].astype(float)))

    def family_plan(self, family: str, period: str) -> dict:
        fp = self.plan().family_plan
        return fp[(fp["family"] == family) & (fp["period"] == period)].iloc[0].to_dict()

    def revision(self) -> int:
        return self.service.state().revision

    def adjustments(self):
        return self.store.list_adjustments()


@pytest.fixture(scope="module")
def plan(app_server):
    """The sample company, with a fixed statistical forecast and the default settings, as a new upload."""
    from services.plan_service import interim_forecast
    from data.sample import horizon_periods, sample_company
    from planning.model import Settings

    db = Plan(f"sqlite:///{app_server.workdir}/sop.db")
    db.store.save_settings(Settings())
    data = sample_company()
    forecast = interim_forecast(data.history, horizon_periods()).rename(
        columns={"forecast": "forecast_units"}
    )
    db.store.save_dataset(
        data.with_(forecast=forecast[["item_id", "period", "forecast_units", "lo80", "hi80"]]),
        source="demand browser tests",
        user="tests",
    )
    yield db
    db.engine.dispose()


@pytest.fixture
def months(plan):
    return list(plan.plan().horizon)


def open_demand(page, expand: tuple[str, ...] = ()) -> None:
    page.goto("/demand")
    page.wait_for_selector(f'#{GRID} .ag-row[row-id="family:Electronics"]')
    for family in expand:
        page.click(f'#{GRID} .ag-row[row-id="family:{family}"] .dg-toggle')
        page.wait_for_function(
            "f => { let n = 0; dash_ag_grid.getApi('demand-grid').forEachNodeAfterFilter(r => {"
            " if (r.data.level === 'item' && r.data.family === f) n++; }); return n > 0; }",
            arg=family,
        )
    page.wait_for_load_state("networkidle")


def value(page, row_id: str, period: str):
    return page.evaluate(READ, [GRID, row_id, period])


def wait_value(page, row_id: str, period: str, expected: float, tol: float = 0.01, grid: str = GRID) -> None:
    page.wait_for_function(
        "([g, r, p, e, t]) => { const n = dash_ag_grid.getApi(g).getRowNode(r);"
        " return n && typeof n.data[p] === 'number' && Math.abs(n.data[p] - e) <= t; }",
        arg=[grid, row_id, period, expected, tol],
        timeout=20_000,
    )


def type_in_cell(page, row_id: str, period: str, text: str) -> None:
    """Double-click the cell, replace its content with `text`, press Enter (as a planner would)."""
    page.locator(f'#{GRID} .ag-row[row-id="{row_id}"] [col-id="{period}"]').first.dblclick()
    editor = page.locator(f"#{GRID} .ag-cell-inline-editing input")
    editor.wait_for()
    editor.fill(text)
    editor.press("Enter")


def message(page, kind: str) -> str:
    loc = page.locator(f'#demand-message [data-kind="{kind}"]')
    loc.wait_for(timeout=20_000)
    return loc.inner_text()


def audit(page) -> list[dict]:
    """The audit grid's rows after its filters (all pages)."""
    return page.evaluate(
        "() => { const out = []; dash_ag_grid.getApi('demand-audit-grid')"
        ".forEachNodeAfterFilterAndSort(n => out.push(n.data)); return out; }"
    )


def pick(page, dropdown: str, value: str) -> None:
    page.click(f"#{dropdown}")
    page.click(f'[role=option]:has(input[value="{value}"])')


def test_absolute_family_value_spreads_to_items_and_moves_the_supply_gap(page, plan, months):
    period = months[2]
    items_before = plan.items("Electronics", period)
    total_before = sum(items_before.values())
    open_demand(page, expand=("Electronics",))
    assert value(page, "family:Electronics", period) == pytest.approx(total_before, abs=0.01)
    page.fill("#demand-reason", "Trade fair order")
    type_in_cell(page, "family:Electronics", period, "20000")
    wait_value(page, "family:Electronics", period, 20_000)
    assert "Saved Electronics" in message(page, "saved")
    for item, before in items_before.items():  # pro rata to each item's previous value
        assert value(page, f"item:{item}", period) == pytest.approx(before * 20_000 / total_before, abs=0.01)
    cell = page.locator(f'#{GRID} .ag-row[row-id="family:Electronics"] [col-id="{period}"]').first
    assert cell.inner_text().strip() == "20,000"
    assert "cell-adjusted" in cell.get_attribute("class")
    # stored with reason, owner, before and after
    row = plan.adjustments().iloc[-1]
    assert (row["level"], row["key"], row["period"], row["type"], row["value"]) == (
        "family",
        "Electronics",
        period,
        "absolute",
        20_000,
    )
    assert row["reason"] == "Trade fair order" and row["owner"] == "admin"
    assert row["before_value"] == pytest.approx(total_before) and row["after_value"] == pytest.approx(20_000)
    # the supply gap of that family-month: capacity − the new demand
    family = plan.family_plan("Electronics", period)
    assert family["demand"] == pytest.approx(20_000)
    page.goto("/supply")
    gap_row = page.wait_for_function(  # one row per family, or a gap row among the family's measures
        "() => { const rows = []; try { dash_ag_grid.getApi('supply-gap-grid').forEachNode(n => {"
        " if (n.data.family === 'Electronics') rows.push(n.data); }); } catch (e) { return null; }"
        " const gap = rows.filter(d => d.m === 'gap' || d.measure === 'Gap');"
        " return gap.length === 1 ? gap[0] : rows.length === 1 ? rows[0] : null; }",
        timeout=30_000,
    ).json_value()
    assert gap_row[period] == pytest.approx(family["capacity"] - 20_000, abs=0.01)
    assert gap_row[period] == pytest.approx(family["gap"], abs=0.01)


def test_percentage_family_edit_scales_every_item(page, plan, months):
    period = months[3]
    items_before = plan.items("Kitchen", period)
    open_demand(page, expand=("Kitchen",))
    type_in_cell(page, "family:Kitchen", period, "+10%")
    wait_value(page, "family:Kitchen", period, sum(items_before.values()) * 1.1)
    for item, before in items_before.items():
        assert value(page, f"item:{item}", period) == pytest.approx(before * 1.1, abs=0.01)
    text = message(page, "saved")
    assert "Kitchen" in text and "+10%" in text
    row = plan.adjustments().iloc[-1]
    assert (row["key"], row["type"], row["value"]) == ("Kitchen", "percentage", 10.0)
    assert row["reason"] == "no reason given"  # the default reason

    # Fill right: the focused item cell copied to every later month of its row, as one change
    item, start = sorted(items_before)[0], months[10]
    page.locator(f'#{GRID} .ag-row[row-id="item:{item}"] [col-id="{start}"]').first.click()
    source = value(page, f"item:{item}", start)
    page.click("#demand-fill-right")
    for p in months[11:]:
        wait_value(page, f"item:{item}", p, source)
    assert f"Filled {item} {months[11]} – {months[-1]}" in message(page, "saved")
    adj = plan.adjustments()
    batch = adj[adj["batch_id"] == adj["batch_id"].iloc[-1]]
    assert list(batch["period"]) == months[11:] and set(batch["source"]) == {"fill"}
    assert batch["value"].tolist() == pytest.approx([source] * len(months[11:]), abs=0.001)


def paste(page, text: str) -> None:
    page.evaluate(
        "t => { const dt = new DataTransfer(); dt.setData('text/plain', t);"
        " document.activeElement.dispatchEvent(new ClipboardEvent('paste',"
        " {clipboardData: dt, bubbles: true, cancelable: true})); }",
        text,
    )


def test_paste_block_is_one_change_undo_redo_and_audit(page, plan, months):
    cols = months[4:7]
    rows = ["item:ELC-101", "item:ELC-102"]
    before = {(r, p): plan.consensus(r.split(":")[1], p) for r in rows for p in cols}
    batches_before = plan.adjustments()["batch_id"].nunique()
    open_demand(page, expand=("Electronics",))
    page.locator(f'#{GRID} .ag-row[row-id="{rows[0]}"] [col-id="{cols[0]}"]').first.click()
    paste(page, "1\t2\t3\n4\t5\t6\n")
    pasted = {(r, p): float(3 * i + j + 1) for i, r in enumerate(rows) for j, p in enumerate(cols)}
    for (r, p), v in pasted.items():
        wait_value(page, r, p, v)
    assert "Pasted 6 cells as one change" in message(page, "saved")
    adj = plan.adjustments()
    assert adj["batch_id"].nunique() == batches_before + 1  # one change
    batch = adj[adj["batch_id"] == adj["batch_id"].iloc[-1]]
    assert len(batch) == 6 and set(batch["source"]) == {"paste"} and set(batch["type"]) == {"absolute"}
    # the audit grid lists the six cells with before / after and owner
    page.wait_for_function(
        "() => { let n = 0; dash_ag_grid.getApi('demand-audit-grid')"
        ".forEachNode(r => { if (r.data.source === 'paste') n++; }); return n === 6; }"
    )
    rows_shown = [r for r in audit(page) if r["source"] == "paste"]
    assert {(r["key"], r["period"], r["after"]) for r in rows_shown} == {
        (r.split(":")[1], p, v) for (r, p), v in pasted.items()
    }
    for r in rows_shown:
        assert r["before"] == pytest.approx(before[(f"item:{r['key']}", r["period"])], abs=0.01)
        assert r["owner"] == "admin" and r["status"] == "in plan"

    # Undo (button): every pasted cell back, the audit rows stay, marked undone
    page.click("#demand-undo")
    for (r, p), v in before.items():
        wait_value(page, r, p, v)
    assert message(page, "saved").startswith("Undid: 6 cells")
    page.wait_for_function(
        "() => { const out = []; dash_ag_grid.getApi('demand-audit-grid')"
        ".forEachNode(r => { if (r.data.source === 'paste') out.push(r.data.status); });"
        " return out.length === 6 && out.every(s => s === 'undone'); }"
    )
    assert page.locator("#demand-audit-grid .ag-row.row-undone").count() >= 6
    # Redo (button), then Ctrl+Z / Ctrl+Y in the grid
    page.click("#demand-redo")
    for (r, p), v in pasted.items():
        wait_value(page, r, p, v)
    page.locator(f'#{GRID} .ag-row[row-id="{rows[1]}"] [col-id="{cols[1]}"]').first.click()
    page.keyboard.press("Control+z")
    wait_value(page, rows[1], cols[1], before[(rows[1], cols[1])])
    page.keyboard.press("Control+y")
    wait_value(page, rows[1], cols[1], 5.0)
    assert plan.consensus("ELC-102", cols[1]) == pytest.approx(5.0)

    # audit filters narrow the list: owner, then type
    everyone = audit(page)
    assert {r["owner"] for r in everyone} >= {"admin", "Marketing", "Sales"}
    pick(page, "demand-audit-owner", "admin")
    page.wait_for_function(
        "() => { const o = new Set(); dash_ag_grid.getApi('demand-audit-grid')"
        ".forEachNodeAfterFilterAndSort(r => o.add(r.data.owner)); return o.size === 1; }"
    )
    mine = audit(page)
    assert {r["owner"] for r in mine} == {"admin"}
    assert (
        len(mine) == (plan.adjustments()["owner"] == "admin").sum() == 1 + 1 + 7 + 6
    )  # 20000, +10%, fill, paste
    pick(page, "demand-audit-type", "percentage")
    page.wait_for_function(
        "() => { let n = 0; dash_ag_grid.getApi('demand-audit-grid')"
        ".forEachNodeAfterFilterAndSort(r => n++); return n === 1; }"
    )
    (only,) = audit(page)
    assert (only["key"], only["change"], only["owner"]) == ("Kitchen", "+10 %", "admin")
    assert "1 of" in page.inner_text("#demand-audit-count")


def plan_rows(page) -> dict:
    return page.evaluate(
        "() => { const out = {}; dash_ag_grid.getApi('demand-grid').forEachNode(n => {"
        " const d = Object.assign({}, n.data); delete d.adj; out[n.id] = d; }); return out; }"
    )


def test_reload_shows_the_same_plan(page, plan, months):
    open_demand(page)
    first = plan_rows(page)
    assert len(first) == 51  # 4 families + 47 items
    page.reload()
    page.wait_for_selector(f'#{GRID} .ag-row[row-id="family:Electronics"]')
    page.wait_for_load_state("networkidle")
    assert plan_rows(page) == first
    # and it is the stored plan: the edits of the earlier tests are in it
    assert first["family:Electronics"][months[2]] == pytest.approx(20_000)
    assert first["item:ELC-101"][months[4]] == pytest.approx(1.0)
    for item, v in plan.items("Outdoor", months[0]).items():
        assert first[f"item:{item}"][months[0]] == pytest.approx(v, abs=0.01)


def test_bad_entry_shows_where_and_changes_nothing(page, plan, months):
    period = months[1]
    revision, n_adj = plan.revision(), len(plan.adjustments())
    open_demand(page)
    before = value(page, "family:Outdoor", period)
    type_in_cell(page, "family:Outdoor", period, "abc")
    text = message(page, "error")
    assert f"Outdoor {period}" in text and "abc" in text and "Nothing was changed" in text
    wait_value(page, "family:Outdoor", period, before)  # the typed text is replaced by the plan's value
    assert plan.revision() == revision and len(plan.adjustments()) == n_adj


def test_second_writer_gets_a_conflict_and_sees_the_other_change(page, plan, months):
    period = months[5]
    open_demand(page, expand=("Outdoor",))

    def bob_sets(value: str) -> None:  # someone else changes an Outdoor item after this page was drawn
        plan.service.apply_edits([{"level": "item", "key": "OUT-102", "period": period, "text": value}],
                                 reason="Phone call with the customer", owner="bob")

    bob_sets("777")
    n_adj = len(plan.adjustments())
    # the Outdoor family total moved with bob's item: refused, naming bob, the cell and the change
    type_in_cell(page, "family:Outdoor", period, "+5%")
    text = message(page, "conflict")
    assert "not saved" in text and "someone else changed these cells" in text
    assert f"OUT-102 {period} by bob" in text and "(set to 777)" in text
    wait_value(page, "item:OUT-102", period, 777)  # the grid now shows bob's change
    assert len(plan.adjustments()) == n_adj  # nothing of the refused change was stored
    # typed again on the current plan, the change is stored
    total = plan.consensus("Outdoor", period, level="family")
    type_in_cell(page, "family:Outdoor", period, "+5%")
    wait_value(page, "family:Outdoor", period, total * 1.05)
    assert len(plan.adjustments()) == n_adj + 1
    # bob changes his item again; a cell he did not touch, typed on this (now older) view, goes through,
    # and the answer brings bob's change along
    bob_sets("800")
    kitchen = plan.consensus("Kitchen", period, level="family")
    type_in_cell(page, "family:Kitchen", period, "+2%")
    wait_value(page, "family:Kitchen", period, kitchen * 1.02)
    wait_value(page, "item:OUT-102", period, 800)
    assert len(plan.adjustments()) == n_adj + 3


def test_assumptions_add_edit_delete_as_text(page, plan):
    open_demand(page)
    page.fill("#demand-assumption-text", "<b>x</b> promotion in March")
    pick(page, "demand-assumption-category", "promotion")
    pick(page, "demand-assumption-impact", "high")
    page.click("#demand-assumption-add")
    row = page.locator("#demand-assumptions-grid .ag-row").first
    row.wait_for()
    page.wait_for_function(
        "() => document.querySelector('#demand-assumptions-grid .ag-center-cols-container')"
        ".innerText.includes('<b>x</b> promotion in March')"
    )
    assert page.locator("#demand-assumptions-grid b").count() == 0  # typed text stays text
    stored = plan.store.list_assumptions()
    assert stored[["text", "category", "impact", "owner"]].values.tolist() == [
        ["<b>x</b> promotion in March", "promotion", "high", "admin"]
    ]
    # edit: select the row, change the text and the impact, save
    page.locator('#demand-assumptions-grid .ag-row [col-id="text"]').first.click()
    page.wait_for_function(
        "() => document.querySelector('#demand-assumption-text').value.includes('promotion')"
    )
    page.fill("#demand-assumption-text", "Promotion in March moved to April")
    pick(page, "demand-assumption-impact", "medium")
    page.click("#demand-assumption-save")
    page.wait_for_function(
        "() => document.querySelector('#demand-assumptions-grid').innerText"
        ".includes('Promotion in March moved to April')"
    )
    stored = plan.store.list_assumptions()
    assert stored[["text", "impact"]].values.tolist() == [["Promotion in March moved to April", "medium"]]
    # delete, after confirming
    page.locator('#demand-assumptions-grid .ag-row [col-id="text"]').first.click()
    page.click("#demand-assumption-delete")
    page.click("#demand-assumption-delete-yes")
    page.wait_for_function(
        "() => !document.querySelector('#demand-assumptions-grid .ag-center-cols-container')"
        ".innerText.includes('Promotion')"
    )
    assert plan.store.list_assumptions().empty


def test_chart_follows_the_clicked_family(page, plan, months):
    open_demand(page)
    page.locator(f'#{GRID} .ag-row[row-id="family:Outdoor"] [col-id="{months[0]}"]').first.click()
    page.wait_for_function(
        "() => { const g = document.querySelector('#demand-family-chart .js-plotly-plot');"
        " return g && g.layout && g.layout.title && g.layout.title.text.startsWith('Outdoor'); }"
    )
    fig = page.evaluate(
        "() => { const g = document.querySelector('#demand-family-chart .js-plotly-plot');"
        " return {type: g._fullLayout.xaxis.type, names: g._fullData.map(t => t.name),"
        " y: Array.from(g._fullData[0].y)}; }"
    )
    assert fig["type"] == "category"
    assert fig["names"][:3] == ["Consensus", "Statistical forecast", "Last year (actual)"]
    assert fig["y"][0] == pytest.approx(sum(plan.items("Outdoor", months[0]).values()), abs=0.01)


@pytest.mark.parametrize("size", ["1920", "1366"])
def test_screens(new_page, app_server, plan, size):
    page = new_page(app_server.url, size)
    open_demand(page, expand=("Electronics",))
    months = plan.plan().horizon
    page.locator(f'#{GRID} .ag-row[row-id="family:Electronics"] [col-id="{months[1]}"]').first.hover()
    page.wait_for_timeout(700)  # the tooltip
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"/demand is {overflow}px wider than a {size}px window"
    shot(page, f"demand-review-{size}")
    shot(page, f"demand-review-{size}-top", full_page=False)
    assert grid_row(page, GRID, "family:Electronics")["n"] == 12
