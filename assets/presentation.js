/* S&OP Studio, 5 Meeting: presentation mode (#meeting-deck) and the agenda's clocks.

   One slide per agenda item of the cycle (`.slide`, with `data-agenda-item` and `data-minutes`), shown one at a
   time in large type. Keyboard while the deck is open: → / PageDown next, ← / PageUp back, Space start or pause
   the item's timer, F full screen (the browser's Fullscreen API), Esc leave.

   The timer is stored on the server (services/meeting_live.py): Space and the arrows send a command through the
   `meeting-deck-command` store (dash_clientside.set_props), the server adds the seconds to the item and answers
   with the stored times in `#meeting-timer-state [data-state]`. This script only draws the clocks from those
   times between two answers (time left, overrun in colour) — so the time survives a reload and shows on every
   screen; a second screen follows the item the facilitator moves to.
*/
(function () {
    "use strict";

    var D = window.sopDeck = window.sopDeck || {index: 0, tick: null, lastLocal: 0, serverCurrent: null,
                                                 raw: null, state: null, offset: 0};

    function deck() { return document.getElementById("meeting-deck"); }
    // (offsetParent is null for a fixed-position element: read the computed display instead)
    function open() { var d = deck(); return !!(d && window.getComputedStyle(d).display !== "none"); }
    function slides() { return deck() ? Array.prototype.slice.call(deck().querySelectorAll(".slide")) : []; }
    function current() { var s = slides(); return s[Math.max(0, Math.min(D.index, s.length - 1))]; }

    function fmt(seconds) {
        var s = Math.abs(Math.round(seconds));
        return (seconds < 0 ? "+" : "") + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    }

    function set(el, text) { if (el.textContent !== text) { el.textContent = text; } }

    function send(op, key) {
        if (!window.dash_clientside || !window.dash_clientside.set_props) { return; }
        window.dash_clientside.set_props("meeting-deck-command", {data: {op: op, key: key, t: Date.now()}});
    }

    // the stored times, read again whenever the server sends new ones
    function readState() {
        var el = document.querySelector("#meeting-timer-state [data-state]");
        var raw = el ? el.getAttribute("data-state") : null;
        if (raw && raw !== D.raw) {
            D.raw = raw;
            try { D.state = JSON.parse(raw); } catch (e) { D.state = null; }
            if (D.state && D.state.now) { D.offset = D.state.now - Date.now(); }
            follow();
        }
        return D.state;
    }

    // another screen moved the meeting on: show the same item (not while this screen's own keys are in flight)
    function follow() {
        var st = D.state;
        if (!st || !st.current || !open()) { return; }
        if (st.current !== D.serverCurrent) {
            D.serverCurrent = st.current;
            if (Date.now() - D.lastLocal > 2500) {
                var i = slides().map(function (s) { return s.dataset.agendaItem; }).indexOf(st.current);
                if (i >= 0) { D.index = i; }
            }
        }
    }

    function spent(item) {
        if (!item) { return 0; }
        var s = item.stored || 0;
        if (item.since) { s += Math.max(0, (Date.now() + D.offset - item.since) / 1000); }
        return s;
    }

    function clock(key) {
        var st = D.state, item = st && st.items ? st.items[key] : null;
        var planned = item ? item.planned : 0;
        var left = planned - spent(item);
        var running = !!(item && item.since);
        return {left: left, running: running,
                status: left < 0 ? "over" : left < 60 ? "late" : "ok",
                text: (left >= 0 ? fmt(left) + " left" : fmt(left) + " over")};
    }

    function drawClocks() {
        readState();
        if (!D.state) { return; }
        document.querySelectorAll("[data-timer-key]").forEach(function (el) {
            var c = clock(el.getAttribute("data-timer-key"));
            set(el, (c.running ? "▶ " : "") + c.text);
            var cls = "timer-" + c.status;
            if (!el.classList.contains(cls)) {
                el.classList.remove("timer-ok", "timer-late", "timer-over");
                el.classList.add(cls);
                el.setAttribute("data-status", c.status);
            }
        });
    }

    function render() {
        var s = slides();
        if (!s.length) { return; }
        D.index = Math.max(0, Math.min(D.index, s.length - 1));
        s.forEach(function (el, i) { el.classList.toggle("active", i === D.index); });
        var slide = current();
        var timer = document.getElementById("meeting-deck-timer");
        if (timer) {  // text set only when it changes: the observer below must not feed on its own writes
            var c = D.state ? clock(slide.dataset.agendaItem) : null;
            if (!c) {
                var planned = Number(slide.dataset.minutes || 0) * 60;
                c = {running: false, left: planned, status: "ok", text: fmt(planned) + " left"};
            }
            set(timer, (c.running ? "▶ " : "‖ ") + c.text);
            var cls = "deck-timer " + (c.status === "over" ? "deck-over" : c.status === "late" ? "deck-late" : "deck-ok");
            if (timer.className !== cls) { timer.className = cls; }
            timer.setAttribute("data-running", c.running ? "1" : "0");
        }
        var pos = document.getElementById("meeting-deck-position");
        if (pos) { set(pos, (D.index + 1) + " / " + s.length); }
    }

    function go(step) {
        var s = slides();
        if (!s.length) { return; }
        var next = Math.max(0, Math.min(D.index + step, s.length - 1));
        D.lastLocal = Date.now();
        if (next !== D.index) {
            D.index = next;
            // the running clock moves with the agenda (server side)
            send("goto", s[next].dataset.agendaItem);
        }
        render();
    }

    function toggle() {
        var slide = current();
        if (!slide) { return; }
        D.lastLocal = Date.now();
        // show the change at once; the server's answer confirms it
        if (D.state && D.state.items) {
            var key = slide.dataset.agendaItem, now = Date.now() + D.offset;
            Object.keys(D.state.items).forEach(function (k) {
                var it = D.state.items[k];
                if (it.since) { it.stored = spent(it); it.since = null; if (k === key) { key = null; } }
            });
            if (key && D.state.items[key]) { D.state.items[key].since = now; }
        }
        send("toggle", slide.dataset.agendaItem);
        render();
    }

    function leave() {
        if (document.fullscreenElement && document.exitFullscreen) { document.exitFullscreen(); }
        var d = deck();
        if (d) { d.style.display = "none"; }
        if (window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props("meeting-deck", {style: {display: "none"}});
            window.dash_clientside.set_props("meeting-deck-poll", {disabled: true});
        }
    }

    document.addEventListener("keydown", function (e) {
        if (!open()) { return; }
        var t = e.target || {}, tag = t.tagName || "";
        if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || t.isContentEditable) { return; }
        var k = e.key;
        D.wasOpen = true;
        if (k === "ArrowRight" || k === "PageDown") { e.preventDefault(); go(1); }
        else if (k === "ArrowLeft" || k === "PageUp") { e.preventDefault(); go(-1); }
        else if (k === " " || k === "Spacebar") {
            e.preventDefault();  // (a focused button must not be pressed again by Space)
            if (tag === "BUTTON" && t.blur) { t.blur(); }
            toggle();
        }
        else if (k === "f" || k === "F") {
            e.preventDefault();
            var d = deck();
            if (document.fullscreenElement) { document.exitFullscreen(); }
            else if (d && d.requestFullscreen) { d.requestFullscreen().catch(function () {}); }
        }
        else if (k === "Escape") { leave(); }
    });

    if (!D.tick) {
        D.tick = setInterval(function () {
            drawClocks();
            var isOpen = open();
            if (isOpen && !D.wasOpen) { D.serverCurrent = null; follow(); }  // just opened: the meeting's item
            D.wasOpen = isOpen;
            if (isOpen) { render(); }
        }, 500);
    }
    // the slides are redrawn by the server when the plan changes: keep the current one shown
    new MutationObserver(function () { if (open()) { render(); } })
        .observe(document.documentElement, {childList: true, subtree: true});
}());
