// A sign-in that ended while the page was open (signed out elsewhere, disabled by an administrator, idle
// too long): the server answers the page's callbacks with 401, so go to the login page, which comes back
// here after signing in, instead of leaving a page that can no longer read or change anything.
(function () {
  const original = window.fetch;
  let leaving = false;
  window.fetch = function (input) {
    return original.apply(this, arguments).then(function (response) {
      const url = typeof input === 'string' ? input : (input && input.url) || '';
      if (response.status === 401 && url.indexOf('_dash-update-component') >= 0 && !leaving &&
          !/\/login$/.test(window.location.pathname)) {
        leaving = true;
        const next = window.location.pathname + window.location.search;
        window.location.assign('/login?next=' + encodeURIComponent(next));
      }
      return response;
    });
  };
})();
