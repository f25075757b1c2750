"""What a full page load asks of the server, and in which order the browser draws it.

- The page being loaded comes with the layout (components.page_container): no request to Dash's page
  router (`_pages_content`) on a full load, the supply grid's rows arrive with the page's first callbacks,
  and the page's title is set. Navigating inside the app still goes through the router.
- plotly.js (assets/plotly_later.js) is loaded only once the page's callbacks are answered: the supply
  grids are drawn before the script is asked for, and the charts are drawn after it.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

# Stamps, in the page, when plotly.min.js is requested and when the gap grid's first row appears.
STAMPS = """(() => {
  window.__stamps = {};
  new PerformanceObserver(list => { for (const e of list.getEntries()) {
    if (e.name.includes('plotly.min.js') && !window.__stamps.plotly) window.__stamps.plotly = e.startTime; }
  }).observe({type: 'resource', buffered: true});
  const obs = new MutationObserver(() => {
    if (!window.__stamps.grid && document.querySelector('#supply-gap-grid .ag-row'))
      window.__stamps.grid = performance.now(); });
  document.addEventListener('DOMContentLoaded', () =>
    obs.observe(document.body, {subtree: true, childList: true}));
})();"""


def callback_outputs(page) -> list[str]:
    outputs: list[str] = []

    def seen(request):
        if "_dash-update-component" in request.url:
            outputs.append(json.loads(request.post_data or "{}").get("output", ""))

    page.on("request", seen)
    return outputs


def test_a_full_load_brings_its_page_without_the_router(page):
    outputs = callback_outputs(page)
    page.add_init_script(STAMPS)
    page.goto("/supply")
    page.wait_for_selector("#supply-gap-grid .ag-row")
    page.wait_for_function("() => document.querySelector('#supply-heatmap .js-plotly-plot')?.data?.length > 0",
                           timeout=30_000)
    assert not [o for o in outputs if "_pages_content" in o], outputs  # the router was not asked
    assert any("supply-gap-grid.rowData" in o for o in outputs)
    assert page.title() == "3 Supply · S&OP Studio"
    stamps = page.evaluate("() => window.__stamps")
    assert stamps.get("grid") is not None and stamps.get("plotly") is not None, stamps
    assert stamps["plotly"] > stamps["grid"], stamps  # the grid first, then the charts' script
    # the chart has its title and axis labels (drawn with the house template)
    layout = page.evaluate("() => document.querySelector('#supply-heatmap .js-plotly-plot').layout")
    assert layout["title"]["text"] and layout["template"]["layout"]["plot_bgcolor"] == "white"

    outputs.clear()
    page.click("#nav-demand")
    page.wait_for_selector("#demand-grid .ag-row")
    assert any("_pages_content" in o for o in outputs), outputs  # in-app navigation: the router draws it
    assert page.title() == "2 Demand · S&OP Studio"
    page.wait_for_function("() => document.querySelector('#demand-family-chart .js-plotly-plot')?.data?.length > 0",
                           timeout=30_000)
