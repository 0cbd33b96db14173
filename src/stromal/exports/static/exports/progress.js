// The export page's progress bar: polls the export's JSON status until it is done or failed,
// then shows the download link (or the error). No inline script: the URL is a data attribute.
(function () {
  "use strict";
  var box = document.getElementById("export-status");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("export-progress");
  var state = document.getElementById("export-state");
  var link = document.getElementById("export-download");
  var error = document.getElementById("export-error");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (status) {
        bar.value = status.progress;
        bar.textContent = Math.round(status.progress * 100) + " %";
        state.textContent = status.status_display + (status.n_patients !== null ? ", " + status.n_patients + " patients" : "");
        if (status.status === "done") {
          if (status.download_url) {
            link.href = status.download_url;
            link.hidden = false;
          }
          return;
        }
        if (status.status === "failed") {
          error.textContent = status.error;
          error.hidden = false;
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
