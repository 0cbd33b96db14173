// Draws every analytics figure of the page with Plotly.js (served from the installed plotly package).
// Each <div data-figure="ID"> takes its figure from the JSON of <script id="ID" type="application/json">
// (Django's json_script): no inline script, no data in attributes.
(function () {
  "use strict";
  function draw() {
    if (typeof window.Plotly === "undefined") {
      return;
    }
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-figure"));
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        responsive: true,
        displaylogo: false,
        toImageButtonOptions: { format: "png", filename: element.getAttribute("data-figure") }
      }).then(function () {
        element.setAttribute("data-drawn", "true");
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
