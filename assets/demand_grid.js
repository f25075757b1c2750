/* S&OP Studio, 2 Demand: the behaviour of the demand grid (#demand-grid) in the browser.

   - Expand / collapse of family rows and the search box: an external filter over the rows the server sent
     once (family rows, each followed by its items).
   - Edits, pasted blocks, fill right, undo and redo become one "action" each, sent to the server through
     the `demand-action` store, one at a time: the next waits until the server has answered (`demand-ack`),
     so quick successive edits never overtake each other.
   - Paste: AG Grid Community has no clipboard paste, so a `paste` listener maps the clipboard's
     tab/newline block onto the visible rows and month columns from the focused cell: one change.
   - Ctrl+Z / Ctrl+Y (Cmd on a Mac) undo and redo when the grid has focus and no cell is being edited.

   The browser keeps only ids (expanded families, the focused cell); every figure comes from the server.
*/
(function () {
    "use strict";

    var GRID_ID = "demand-grid";
    var PERIOD = /^\d{4}-\d{2}$/;
    var STALE_MS = 60000; // an answer that never came does not block later changes for longer than this

    var S = window.sopDemand = window.sopDemand || {
        expanded: new Set(),
        search: "",
        inflight: null,
        queue: [],
        seq: 0,
        lastFocus: null,
    };

    var dagfuncs = window.dashAgGridFunctions = window.dashAgGridFunctions || {};
    var dagcomponentfuncs = window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {};

    function gridApi() {
        try {
            return window.dash_ag_grid && window.dash_ag_grid.getApi(GRID_ID);
        } catch (e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ numbers

    var INT = new Intl.NumberFormat("en-US", {maximumFractionDigits: 0});
    var PCT = new Intl.NumberFormat("en-US", {minimumFractionDigits: 1, maximumFractionDigits: 1});
    var MINUS = "\u2212";

    function int(v) {
        var r = Math.round(v);
        if (r === 0) { return "0"; } // never "-0"
        return r < 0 ? MINUS + INT.format(-r) : INT.format(r);
    }

    function signed(v) {
        var r = Math.round(v);
        return r > 0 ? "+" + INT.format(r) : int(r);
    }

    function pct(v) {
        var t = PCT.format(Math.abs(v));
        return (v > 0.05 ? "+" : v < -0.05 ? MINUS : "") + t + " %";
    }

    S.int = int;
    S.signed = signed;

    // ------------------------------------------------------------------ grid functions (columnDefs, options)

    function baseLevel(d) {
        return (d.level === "stat" || d.level === "diff") ? d.of : d.level;
    }

    dagfuncs.sopDemandFormat = function (params) {
        var v = params.value;
        if (v === null || v === undefined || v === "") { return ""; }
        if (typeof v !== "number") { return String(v); } // typed text waiting for the server
        if (params.data && params.data.level === "diff") { return signed(v); }
        return int(v);
    };

    dagfuncs.sopDemandEditable = function (params) {
        var d = params.data;
        return !!d && (d.level === "family" || d.level === "item");
    };

    dagfuncs.sopDemandAdjusted = function (params) {
        var d = params.data;
        return !!(d && d.adj && d.adj.indexOf(params.colDef.field) >= 0);
    };

    dagfuncs.sopDemandPending = function (params) {
        return params.value !== null && params.value !== undefined && typeof params.value !== "number";
    };

    dagfuncs.sopDemandTooltip = function (params, i) {
        var d = params.data;
        if (!d || (d.level !== "family" && d.level !== "item")) { return null; }
        var p = params.colDef.field;
        var c = d[p];
        var s = d.stat ? d.stat[i] : null;
        if (typeof c !== "number" || s === null || s === undefined) { return null; }
        var diff = c - s;
        var lines = [
            d.label + " \u00b7 " + p,
            "Consensus " + int(c),
            "Statistical " + int(s),
            "Difference " + signed(diff) + (s > 0 ? " (" + pct(diff * 100 / s) + ")" : ""),
        ];
        if (d.cap && d.cap[i] !== null && d.cap[i] !== undefined) {
            lines.push("Capacity " + int(d.cap[i]) + " \u00b7 gap " + signed(d.gap[i]));
        }
        if (d.adj && d.adj.indexOf(p) >= 0) { lines.push("Adjusted: see the audit trail below"); }
        return lines.join("\n");
    };

    function searchPasses(d, q) {
        var fam = String(d.family || "").toLowerCase();
        var famHit = fam.indexOf(q) >= 0;
        if (baseLevel(d) === "family") {
            return famHit || String(d.items_text || "").indexOf(q) >= 0;
        }
        var own = (String(d.item_id || "") + " " + String(d.desc || "")).toLowerCase();
        return own.indexOf(q) >= 0 || (famHit && S.expanded.has(d.family));
    }

    dagfuncs.sopDemandPasses = function (node) {
        var d = node && node.data;
        if (!d) { return true; }
        if (S.search) {
            if (baseLevel(d) === "family" && d.level !== "family") {
                // statistical rows of a family follow their family row
                var api = gridApi();
                var parent = api && api.getRowNode("family:" + d.family);
                return parent ? searchPasses(parent.data, S.search) : true;
            }
            return searchPasses(d, S.search);
        }
        if (baseLevel(d) === "family") { return true; }
        return S.expanded.has(d.family);
    };

    // ------------------------------------------------------------------ family / item label with the toggle

    dagcomponentfuncs.SopDemandLabel = function (props) {
        var h = window.React.createElement;
        var d = props.data || {};
        if (d.level === "family") {
            var open = S.expanded.has(d.family);
            return h("span", {className: "dg-label dg-family"},
                h("button", {
                    type: "button",
                    className: "dg-toggle",
                    "aria-expanded": open ? "true" : "false",
                    "aria-label": (open ? "Collapse " : "Expand ") + d.family,
                    title: (open ? "Hide" : "Show") + " the items of " + d.family,
                    "data-family": d.family,
                    onClick: function (e) {
                        e.stopPropagation();
                        S.toggle(d.family);
                    },
                }, open ? "\u25be" : "\u25b8"),
                h("span", {className: "dg-name"}, d.label),
                h("span", {className: "dg-count"}, d.n + (d.n === 1 ? " item" : " items")));
        }
        if (d.level === "item") {
            return h("span", {className: "dg-label dg-item"},
                h("span", {className: "dg-name"}, d.label),
                d.desc ? h("span", {className: "dg-desc"}, d.desc) : null);
        }
        return h("span", {className: "dg-label dg-measure dg-of-" + d.of}, d.label);
    };

    function refilter(families) {
        var api = gridApi();
        if (!api) { return; }
        api.onFilterChanged();
        var nodes = [];
        (families || []).forEach(function (f) {
            var n = api.getRowNode("family:" + f);
            if (n) { nodes.push(n); }
        });
        if (families) {
            api.refreshCells({rowNodes: nodes, columns: ["label"], force: true});
        } else {
            api.refreshCells({columns: ["label"], force: true});
        }
    }

    S.toggle = function (family, open) {
        if (open === undefined) { open = !S.expanded.has(family); }
        if (open) { S.expanded.add(family); } else { S.expanded.delete(family); }
        refilter([family]);
    };

    S.expandAll = function () {
        var api = gridApi();
        if (!api) { return; }
        api.forEachNode(function (n) {
            if (n.data && n.data.level === "family") { S.expanded.add(n.data.family); }
        });
        refilter(null);
    };

    S.collapseAll = function () {
        S.expanded.clear();
        refilter(null);
    };

    S.setSearch = function (text) {
        var q = String(text || "").trim().toLowerCase();
        if (q === S.search) { return; }
        S.search = q;
        refilter(null);
    };

    // ------------------------------------------------------------------ actions to the server, one at a time

    function send(action) {
        S.inflight = {nonce: action.nonce, at: Date.now()};
        window.dash_clientside.set_props("demand-action", {data: action});
    }

    S.submit = function (action) {
        S.seq += 1;
        action.nonce = S.seq + "-" + Date.now();
        if (S.inflight && Date.now() - S.inflight.at < STALE_MS) {
            S.queue.push(action);
            return;
        }
        send(action);
    };

    S.ack = function (data) {
        if (!data || !S.inflight || data.nonce !== S.inflight.nonce) { return; }
        S.inflight = null;
        var next = S.queue.shift();
        if (next) { send(next); }
    };

    S.busy = function () {
        return !!S.inflight || S.queue.length > 0;
    };

    function notice(text) {
        S.submit({kind: "notice", text: text});
    }

    dagfuncs.sopDemandCellChanged = function (params) {
        var d = params.data;
        if (!d || (d.level !== "family" && d.level !== "item")) { return; }
        var period = params.colDef.field;
        var text = params.newValue === null || params.newValue === undefined ? "" : String(params.newValue);
        S.submit({kind: "edit", cells: [{row_id: d.row_id, period: period, text: text}]});
    };

    dagfuncs.sopDemandFocused = function (params) {
        if (!params || params.rowIndex === null || params.rowIndex === undefined || !params.column) {
            return;
        }
        var api = params.api;
        var node = api.getDisplayedRowAtIndex(params.rowIndex);
        var colId = typeof params.column === "string" ? params.column : params.column.getColId();
        if (node) { S.lastFocus = {rowId: node.id, colId: colId}; }
    };

    function focused(api) {
        var f = api.getFocusedCell();
        if (f && f.column) {
            var node = api.getDisplayedRowAtIndex(f.rowIndex);
            if (node) { return {node: node, colId: f.column.getColId(), rowIndex: f.rowIndex}; }
        }
        if (S.lastFocus) {
            var n = api.getRowNode(S.lastFocus.rowId);
            if (n && n.displayed) { return {node: n, colId: S.lastFocus.colId, rowIndex: n.rowIndex}; }
        }
        return null;
    }

    function periodColumns(api) {
        return api.getAllDisplayedColumns().map(function (c) { return c.getColId(); })
            .filter(function (id) { return PERIOD.test(id); });
    }

    function editable(node) {
        return !!(node && node.data && (node.data.level === "family" || node.data.level === "item"));
    }

    dagfuncs.sopDemandKeyDown = function (params) {
        var e = params.event;
        if (!e || e.type !== "keydown") { return; }
        var api = params.api;
        if (api.getEditingCells().length) { return; }
        var key = String(e.key || "").toLowerCase();
        if ((e.ctrlKey || e.metaKey) && !e.altKey) {
            if (key === "z" && !e.shiftKey) {
                e.preventDefault();
                S.submit({kind: "undo"});
            } else if (key === "y" || (key === "z" && e.shiftKey)) {
                e.preventDefault();
                S.submit({kind: "redo"});
            }
            return;
        }
        if ((key === "enter" || key === " ") && params.colDef && params.colDef.colId === "label"
                && params.data && params.data.level === "family") {
            e.preventDefault();
            S.toggle(params.data.family);
        }
    };

    S.paste = function (api, text) {
        var lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
        while (lines.length && lines[lines.length - 1] === "") { lines.pop(); }
        if (!lines.length) { return; }
        var block = lines.map(function (l) { return l.split("\t"); });
        var at = focused(api);
        if (!at) {
            notice("Click the month cell where the pasted block should start, then paste again.");
            return;
        }
        var periods = periodColumns(api);
        var c0 = periods.indexOf(at.colId);
        if (c0 < 0) { notice("Paste into a month cell: the block starts at the focused cell."); return; }
        var cells = [];
        var ignored = 0;
        var r = at.rowIndex;
        block.forEach(function (values) {
            var node = api.getDisplayedRowAtIndex(r);
            while (node && !editable(node)) { r += 1; node = api.getDisplayedRowAtIndex(r); }
            r += 1;
            values.forEach(function (v, j) {
                var value = String(v).trim();
                if (!value) { return; }
                var period = periods[c0 + j];
                if (!node || !period) { ignored += 1; return; }
                cells.push({row_id: node.data.row_id, period: period, text: value});
            });
        });
        if (!cells.length) {
            notice("Nothing to paste into the plan's months from the focused cell.");
            return;
        }
        S.submit({kind: "paste", cells: cells, ignored: ignored});
    };

    S.fillRight = function () {
        var api = gridApi();
        var at = api && focused(api);
        if (!at || !editable(at.node) || !PERIOD.test(at.colId)) {
            notice("Click a month cell of a family or item first: Fill right copies it to the later months.");
            return;
        }
        var periods = periodColumns(api);
        var later = periods.slice(periods.indexOf(at.colId) + 1);
        var value = at.node.data[at.colId];
        if (!later.length) { notice(at.colId + " is the last month of the plan: nothing to fill."); return; }
        if (typeof value !== "number") { notice("Wait until the cell is saved, then fill."); return; }
        var text = String(Math.round(value * 1000) / 1000);
        S.submit({
            kind: "fill",
            cells: later.map(function (p) { return {row_id: at.node.data.row_id, period: p, text: text}; }),
        });
    };

    document.addEventListener("paste", function (e) {
        var target = e.target;
        if (!target || !target.closest || !target.closest("#" + GRID_ID)) { return; }
        var api = gridApi();
        if (!api || api.getEditingCells().length) { return; } // typing in a cell: the editor takes the text
        var data = e.clipboardData || window.clipboardData;
        var text = data ? data.getData("text/plain") || data.getData("text") : "";
        e.preventDefault();
        e.stopPropagation();
        S.paste(api, text);
    }, true);

    // ------------------------------------------------------------------ Dash clientside callbacks

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.sopDemand = {
        // toolbar buttons, the search box and the server's acknowledgements
        dispatch: function () {
            var ctx = window.dash_clientside.callback_context;
            var trig = (ctx && ctx.triggered_id) || "";
            var search = arguments[6];
            if (trig === "demand-ack") { S.ack(arguments[5]); }
            else if (trig === "demand-undo") { S.submit({kind: "undo"}); }
            else if (trig === "demand-redo") { S.submit({kind: "redo"}); }
            else if (trig === "demand-fill-right") { S.fillRight(); }
            else if (trig === "demand-expand-all") { S.expandAll(); }
            else if (trig === "demand-collapse-all") { S.collapseAll(); }
            S.setSearch(search);
            return window.dash_clientside.no_update;
        },
    };

    // ------------------------------------------------------------------ styles of the demand page

    var CSS = [
        "#demand-grid .ag-cell.cell-adjusted::after { content: ''; position: absolute; top: 0; right: 0;"
            + " border-style: solid; border-width: 0 7px 7px 0;"
            + " border-color: transparent #8e44ad transparent transparent; }",
        "#demand-grid .ag-cell.cell-pending { color: #6c7a89; font-style: italic; }",
        "#demand-grid .ag-row.row-stat { color: #5d6d7e; background-color: #fbfcfd; font-size: 13px; }",
        "#demand-grid .ag-row.row-family .ag-cell { font-weight: 700; }",
        ".dg-label { display: inline-flex; align-items: baseline; gap: .4em; min-width: 0;"
            + " white-space: nowrap; }",
        ".dg-toggle { border: 0; background: transparent; color: #2c3e50; width: 1.3em; padding: 0;"
            + " cursor: pointer; font-size: 1rem; line-height: 1; }",
        ".dg-toggle:focus-visible { outline: 2px solid #3498db; border-radius: 3px; }",
        ".dg-count { color: #6c7a89; font-weight: 400; font-size: .85em; }",
        ".dg-item { padding-left: 1.7em; }",
        ".dg-desc { color: #6c7a89; font-size: .88em; overflow: hidden; text-overflow: ellipsis; }",
        ".dg-measure { padding-left: 1.7em; font-style: italic; }",
        ".dg-measure.dg-of-item { padding-left: 3.4em; }",
        ".ag-tooltip { white-space: pre-line; }",
        "#demand-audit-grid .ag-row.row-undone .ag-cell { text-decoration: line-through; color: #95a5a6; }",
        "#demand-audit-grid .ag-row.row-undone .ag-cell.audit-undone { text-decoration: none;"
            + " font-weight: 700; }",
        ".demand-rules { color: #5d6d7e; font-size: .9rem; margin-bottom: .6rem; }",
        ".demand-rules code { color: #2c3e50; background: #eef1f4; padding: 0 .3em; border-radius: 3px; }",
        ".demand-toolbar { display: flex; flex-wrap: wrap; gap: .5rem; align-items: flex-end;"
            + " margin-bottom: .6rem; }",
        ".demand-toolbar .form-label { font-size: .8rem; color: #6c7a89; margin-bottom: .15rem; }",
        ".demand-kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));"
            + " gap: .8rem;"
            + " margin-bottom: 1rem; }",
        ".demand-kpi { background: #fff; border: 1px solid #e3e8ed; border-radius: .5rem;"
            + " padding: .6rem .9rem; }",
        ".demand-kpi .k { font-size: .78rem; color: #6c7a89; text-transform: uppercase; letter-spacing: .4px;"
            + " font-weight: 700; }",
        ".demand-kpi .v { font-size: 1.45rem; font-weight: 700; font-variant-numeric: tabular-nums; }",
        ".demand-kpi .s { font-size: .82rem; color: #6c7a89; }",
        ".demand-saving { margin: -.2rem 0 .3rem; }",
    ].join("\n");

    if (!document.getElementById("sop-demand-css")) {
        var style = document.createElement("style");
        style.id = "sop-demand-css";
        style.textContent = CSS;
        document.head.appendChild(style);
    }
}());
