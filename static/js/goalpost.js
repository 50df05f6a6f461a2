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

// "5 minutes ago" stays true between refreshes: times marked data-since are rewritten from their
// datetime every 30 seconds and after each htmx swap (a dashboard poll answered 304 Not Modified
// swaps the page's earlier copy back in). The words are Django's `timesince` (two units).
(function () {
  "use strict";

  var MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  var UNITS = ["year", "month", "week", "day", "hour", "minute"];
  var SECONDS = [604800, 86400, 3600, 60];

  function since(then, now) {
    if (now <= then) {
      return "0\u00a0minutes";
    }
    var months = (now.getUTCFullYear() - then.getUTCFullYear()) * 12 +
      now.getUTCMonth() - then.getUTCMonth();
    var timeOfDay = function (d) {
      return ((d.getUTCHours() * 60 + d.getUTCMinutes()) * 60 + d.getUTCSeconds()) * 1000 +
        d.getUTCMilliseconds();
    };
    if (then.getUTCDate() > now.getUTCDate() ||
        (then.getUTCDate() === now.getUTCDate() && timeOfDay(then) > timeOfDay(now))) {
      months -= 1;
    }
    var years = Math.floor(months / 12);
    months -= years * 12;
    var pivot = then;
    if (years || months) {
      var month = then.getUTCMonth() + months;
      var year = then.getUTCFullYear() + years + Math.floor(month / 12);
      month %= 12;
      pivot = new Date(Date.UTC(year, month, Math.min(MONTH_DAYS[month], then.getUTCDate()),
        then.getUTCHours(), then.getUTCMinutes(), then.getUTCSeconds()));
    }
    var remaining = Math.floor((now - pivot) / 1000);
    var parts = [years, months];
    SECONDS.forEach(function (size) {
      parts.push(Math.floor(remaining / size));
      remaining -= size * parts[parts.length - 1];
    });
    var first = parts.findIndex(function (value) { return value !== 0; });
    if (first < 0) {
      return "0\u00a0minutes";
    }
    var words = [];
    for (var i = first; i < parts.length && words.length < 2 && parts[i] !== 0; i += 1) {
      words.push(parts[i] + "\u00a0" + UNITS[i] + (parts[i] === 1 ? "" : "s"));
    }
    return words.join(", ");
  }

  function refresh() {
    var now = new Date();
    document.querySelectorAll("time[data-since][datetime]").forEach(function (element) {
      var then = new Date(element.getAttribute("datetime"));
      if (!isNaN(then)) {
        element.textContent = since(then, now) + " ago";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    window.setInterval(refresh, 30000);
  });
  document.addEventListener("htmx:afterSwap", refresh);
})();

// Suggested targets: a choice fills the field it names (data-fill-field) in its form.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill-field]");
    if (!button) {
      return;
    }
    var form = button.closest("form");
    var input = form && form.querySelector('[name="' + button.getAttribute("data-fill-field") + '"]');
    if (!input) {
      return;
    }
    input.value = button.getAttribute("data-fill-value");
    input.dispatchEvent(new Event("change", { bubbles: true }));
    form.querySelectorAll('[data-fill-field="' + button.getAttribute("data-fill-field") + '"]')
      .forEach(function (other) {
        other.setAttribute("aria-pressed", String(other === button));
      });
    input.focus();
  });
})();
