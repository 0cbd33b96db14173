// The plan page's forecast: while the worker computes it, poll its status and reload the page
// (at the forecast) when it has finished. No inline script: the URL is a data attribute.
(function () {
  "use strict";
  var state = document.getElementById("forecast-state");
  if (!state) {
    return;
  }
  var url = state.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (status) {
        if (status.finished) {
          window.location.hash = "forecast";
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }
  window.setTimeout(poll, 1000);
})();
