/* S&OP Studio, 3 Supply: cell functions of the capacity grid (#supply-capacity-grid) and the gap grid
   (#supply-gap-grid), called by dash-ag-grid from the column definitions of callbacks/supply.py.

   - sopSupplyParse: a typed plain number ("12,500") becomes a number, so pressing Enter on an unchanged
     cell changes nothing; anything else ("+10%", "-200") stays text until the server answers.
   - sopSupplyUnits: thousands separators and a real minus sign (as d3.format); text still waiting for the server shows
     as typed.
   - sopSupplyGapTip: the gap cell's tooltip, from the row's status, demand, capacity and utilization.
*/
(function () {
    "use strict";

    var dagfuncs = window.dashAgGridFunctions = window.dashAgGridFunctions || {};

    // as d3.format(",.Nf") writes it: thousands separators and a real minus sign (one formatter per
    // number of digits: toLocaleString builds a new one on every call, seconds over a big grid)
    var formatters = {};
    function fmt(value, digits) {
        var f = formatters[digits] || (formatters[digits] = new Intl.NumberFormat("en-US",
            {minimumFractionDigits: digits, maximumFractionDigits: digits}));
        var text = f.format(Number(value));
        return text.charAt(0) === "-" ? "\u2212" + text.slice(1) : text;
    }

    function plainNumber(text) {
        var s = String(text).trim();
        if (!s || "0123456789.".indexOf(s.charAt(0)) < 0) { return null; }
        var n = Number(s.split(",").join(""));
        return isNaN(n) ? null : n;
    }

    dagfuncs.sopSupplyParse = function (params) {
        var v = params.newValue;
        if (v === null || v === undefined || typeof v === "number") { return v; }
        var n = plainNumber(v);
        return n === null ? v : n;
    };

    dagfuncs.sopSupplyUnits = function (params) {
        var v = params.value;
        if (v === null || v === undefined) { return ""; }
        return typeof v === "number" ? fmt(v, 0) : v;
    };

    dagfuncs.sopSupplyGapTip = function (params, period) {
        var d = params.data || {};
        if (d["demand_" + period] === null || d["demand_" + period] === undefined) { return ""; }
        return d.family + " " + period + ": " + d["status_" + period] + " · demand "
            + fmt(d["demand_" + period], 0) + ", capacity "
            + fmt(d["capacity_" + period], 0) + ", utilization "
            + fmt(d["util_" + period], 1) + " %";
    };
}());
