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

// Phones: the main navigation folds behind a Menu button (shown only when this script runs, so
// without JavaScript the links stay listed). Filters marked data-fold-narrow start folded.
(function () {
  "use strict";

  var NARROW = "(max-width: 640px)";

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".menu-button");
    var nav = document.getElementById("main-nav");
    if (button && nav) {
      document.documentElement.classList.add("has-menu");
      button.hidden = false;
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", String(open));
        nav.classList.toggle("is-open", open);
      });
    }
    if (window.matchMedia(NARROW).matches) {
      document.querySelectorAll("details[data-fold-narrow]").forEach(function (details) {
        details.open = false;
      });
    }
  });
})();

// Forms that start slow work and load a new page (creating goals, cascading, carrying over)
// say so on their button while the server works: data-busy="Creating the goal…". (htmx
// actions use hx-disabled-elt and a .busy indicator instead.)
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches("form[data-busy]")) {
      return;
    }
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (!button) {
      return;
    }
    // After the form data is taken, so the button's own name and value still go with it.
    window.setTimeout(function () {
      button.dataset.idleLabel = button.textContent;
      button.textContent = form.getAttribute("data-busy");
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }, 0);
  });

  // Back to a page from the browser's cache: its buttons work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[aria-busy=true]").forEach(function (button) {
      button.textContent = button.dataset.idleLabel || button.textContent;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });
})();
