/* Draw every chart on the page: each [data-chart] container names the json_script block that
   holds its Plotly figure (stromal.charts). Without JavaScript the tables under the charts stay. */
(function () {
  "use strict";
  if (typeof window.Plotly === "undefined") { return; }

  function draw(container) {
    var block = document.getElementById(container.getAttribute("data-chart"));
    if (!block) { return; }
    var figure = JSON.parse(block.textContent);
    container.hidden = false;  /* hidden until drawn, so no empty box shows without JavaScript */
    window.Plotly.newPlot(container, figure.data, figure.layout, figure.config).then(function () {
      container.setAttribute("data-drawn", "true");  /* for the browser tests and anyone waiting on it */
      /* The chart is there: its table folds away (one click opens it). */
      var values = container.parentNode.querySelector("details.chart-values");
      if (values) { values.open = false; }
    });
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
})();
