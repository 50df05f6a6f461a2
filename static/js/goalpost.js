// Live parts of the pages poll with htmx (hx-trigger="every ..."). While the tab is hidden they
// send nothing; when it is shown again each of them refreshes at once (the "goalpost:visible"
// event in their hx-trigger). A plain file, so the Content Security Policy needs no exception.
(function () {
  "use strict";

  function polls(element) {
    return /(^|[\s,])every\s/.test(element.getAttribute("hx-trigger") || "");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && polls(event.detail.elt)) {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden || !window.htmx) {
      return;
    }
    document.querySelectorAll("[hx-trigger]").forEach(function (element) {
      if (polls(element)) {
        window.htmx.trigger(element, "goalpost:visible");
      }
    });
  });
})();
