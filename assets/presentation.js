/* S&OP Studio, 5 Meeting: presentation mode (#meeting-deck). One slide per agenda item (`.slide`, with
   `data-agenda-item` and `data-minutes`), shown one at a time in large type.

   Keyboard while the deck is open: → / PageDown next, ← / PageUp back, Space start or pause the item's timer,
   F full screen (the browser's Fullscreen API), Esc leave. The timer shows the time left of the current item
   and its overrun in colour; the time each item really took is kept per item while the deck is open.
   The slides' figures come from the server (they refresh by themselves when the plan changes).
*/
(function () {
    "use strict";

    var D = window.sopDeck = window.sopDeck || {index: 0, running: false, spent: {}, tick: null, last: null};

    function deck() { return document.getElementById("meeting-deck"); }
    // (offsetParent is null for a fixed-position element: read the computed display instead)
    function open() { var d = deck(); return !!(d && window.getComputedStyle(d).display !== "none"); }
    function slides() { return deck() ? Array.prototype.slice.call(deck().querySelectorAll(".slide")) : []; }

    function current() { var s = slides(); return s[Math.max(0, Math.min(D.index, s.length - 1))]; }

    function fmt(seconds) {
        var s = Math.abs(Math.round(seconds));
        return (seconds < 0 ? "+" : "") + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    }

    function account() {
        if (D.running && D.last !== null) {
            var key = current() && current().dataset.agendaItem;
            D.spent[key] = (D.spent[key] || 0) + (Date.now() - D.last) / 1000;
        }
        D.last = D.running ? Date.now() : null;
    }

    function render() {
        var s = slides();
        if (!s.length) { return; }
        D.index = Math.max(0, Math.min(D.index, s.length - 1));
        s.forEach(function (el, i) { el.classList.toggle("active", i === D.index); });
        var slide = current();
        var planned = Number(slide.dataset.minutes || 0) * 60;
        var spent = D.spent[slide.dataset.agendaItem] || 0;
        var left = planned - spent;
        var timer = document.getElementById("meeting-deck-timer");
        if (timer) {  // text set only when it changes: the observer below must not feed on its own writes
            set(timer, (D.running ? "▶ " : "⏸ ") + (left >= 0 ? fmt(left) + " left" : fmt(left) + " over"));
            timer.className = "deck-timer " + (left < 0 ? "deck-over" : left < 60 ? "deck-late" : "deck-ok");
        }
        var pos = document.getElementById("meeting-deck-position");
        if (pos) { set(pos, (D.index + 1) + " / " + s.length); }
    }

    function set(el, text) { if (el.textContent !== text) { el.textContent = text; } }

    function go(step) { account(); D.index += step; render(); }
    function toggle() { account(); D.running = !D.running; D.last = D.running ? Date.now() : null; render(); }

    function leave() {
        account();
        D.running = false;
        if (document.fullscreenElement && document.exitFullscreen) { document.exitFullscreen(); }
        var d = deck();
        if (d) { d.style.display = "none"; }
    }

    document.addEventListener("keydown", function (e) {
        if (!open()) { return; }
        var tag = (e.target && e.target.tagName) || "";
        if (tag === "INPUT" || tag === "TEXTAREA") { return; }
        var k = e.key;
        if (k === "ArrowRight" || k === "PageDown") { e.preventDefault(); go(1); }
        else if (k === "ArrowLeft" || k === "PageUp") { e.preventDefault(); go(-1); }
        else if (k === " " || k === "Spacebar") { e.preventDefault(); toggle(); }
        else if (k === "f" || k === "F") {
            e.preventDefault();
            var d = deck();
            if (document.fullscreenElement) { document.exitFullscreen(); }
            else if (d && d.requestFullscreen) { d.requestFullscreen().catch(function () {}); }
        }
        else if (k === "Escape") { leave(); }
    });

    if (!D.tick) { D.tick = setInterval(function () { if (open()) { account(); render(); } }, 500); }
    // the slides are redrawn by the server when the plan changes: keep the current one shown
    new MutationObserver(function () { if (open()) { render(); } })
        .observe(document.documentElement, {childList: true, subtree: true});
}());
