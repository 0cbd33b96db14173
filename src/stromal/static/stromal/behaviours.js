/* Small page behaviours, loaded by every page (base.html). They live here, not in templates:
   the Content-Security-Policy (script-src 'self') runs no inline script, handler or javascript: URL.
   - select[data-autosubmit]: submit its form when the choice changes (filters);
   - a[data-history-back]: go back one page; without history the link's own href is followed. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll("a[data-history-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });
})();
