/* A "Print" button (marked data-print) opens the browser's print dialog; the print CSS lays the page out. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
