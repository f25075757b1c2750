/* S&OP Studio's StaticHtml component (components/static_html.py): read-only HTML written and escaped on the
   server, set as the inner HTML of one div. One React element however big the table, and none of
   dcc.Markdown's parsers and async bundles (Markdown, highlight.js) to fetch and run first. */
(function () {
  var React = window.React;
  function StaticHtml(props) {
    var attrs = {className: props.className, style: props.style, dangerouslySetInnerHTML: {__html: props.html || ''}};
    if (props.id) attrs.id = typeof props.id === 'string' ? props.id : JSON.stringify(props.id);
    return React.createElement('div', attrs);
  }
  window.sop_static = Object.assign(window.sop_static || {}, {StaticHtml: StaticHtml});
})();

/* A link to a page of the app inside StaticHtml changes page as dcc.Link does: no reload (a modifier key or
   another target keeps the browser's own behaviour). */
document.addEventListener('click', function (e) {
  var a = e.target && e.target.closest ? e.target.closest('.static-html a[href^="/"]') : null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.shiftKey || e.altKey || e.ctrlKey ||
      (a.target && a.target !== '_self')) {
    return;
  }
  e.preventDefault();
  window.history.pushState({}, '', a.getAttribute('href'));
  window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
  window.scrollTo(0, 0);
});
