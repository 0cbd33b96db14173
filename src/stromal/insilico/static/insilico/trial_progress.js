// The trial page's progress bar: polls the run's JSON status (chunks done of total) until the run has
// finished, then offers to show the results. No inline script: the URL is a data attribute.
(function () {
  "use strict";
  var box = document.getElementById("trial-status");
  if (!box || box.getAttribute("data-finished") === "1") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("trial-progress");
  var state = document.getElementById("trial-state");
  var chunks = document.getElementById("trial-chunks");
  var error = document.getElementById("trial-error");
  var reload = document.getElementById("trial-reload");
  var cancel = document.getElementById("trial-cancel");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (status) {
        bar.max = status.chunks_total;
        bar.value = status.chunks_done;
        bar.textContent = status.chunks_done + " of " + status.chunks_total;
        chunks.textContent = status.chunks_done + " of " + status.chunks_total;
        state.textContent = status.status_display;
        if (status.error) {
          error.textContent = status.error;
          error.hidden = false;
        }
        if (status.finished) {
          if (cancel) {
            cancel.hidden = true;
          }
          reload.hidden = false;
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }
  poll();
})();
