/* Charts after the page's grids and tables.
 *
 * plotly.js is the app's heaviest script (4.8 MB): a browser that has not cached it spends most of a second
 * evaluating it, and draws nothing else meanwhile. dcc.Graph loads it as soon as a chart is on the page
 * (so on every step page, before the grids it shares the page with), unless `window.Plotly` is set: then it
 * waits for that. Here `window.Plotly` is a promise that loads the script only once the page's callbacks are
 * answered (Dash shows `._dash-loading-callback` while one is in flight) and the browser is idle, so the
 * grids and tables are drawn first and the charts follow. The script, once run, puts the real Plotly in
 * `window.Plotly`, and every chart uses it from then on.
 */
(function () {
    'use strict';
    if (window.Plotly) { return; }
    const MOST_WAIT_MS = 2500;  // a page that is never quiet (a forecast run polling) gets its charts anyway
    let loading = null;

    function quiet() {
        return !document.querySelector('._dash-loading-callback');
    }

    function whenIdle(run) {
        if (window.requestIdleCallback) { window.requestIdleCallback(run, {timeout: 400}); } else { setTimeout(run, 0); }
    }

    function load() {
        return new Promise(function (resolve, reject) {
            const asked = performance.now();
            function insert() {
                const script = document.createElement('script');
                script.src = window._dashPlotlyJSURL;
                script.async = true;
                script.onload = function () { resolve(window.Plotly); };
                script.onerror = function (e) { loading = null; reject(e); };
                document.head.appendChild(script);
            }
            (function wait() {
                if ((quiet() && window._dashPlotlyJSURL) || performance.now() - asked > MOST_WAIT_MS) {
                    whenIdle(insert);
                } else {
                    setTimeout(wait, 40);
                }
            })();
        });
    }

    // a thenable: dcc.Graph's `Promise.resolve(window.Plotly)` calls `then`, which starts the loading
    window.Plotly = {
        then: function (onLoaded, onError) {
            loading = loading || load();
            return loading.then(onLoaded, onError);
        },
    };
})();
