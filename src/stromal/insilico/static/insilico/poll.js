// Pages waiting on a background task (the plan's forecast, the registry check): poll the element's
// data-poll-url until the task has finished, then reload the page. No inline script.
(function () {
  "use strict";
  var waiting = document.querySelector("[data-poll-url]");
  if (!waiting) {
    return;
  }
  var url = waiting.getAttribute("data-poll-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (status) {
        if (status.finished) {
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
