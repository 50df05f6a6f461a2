// Draws the server-built Plotly figures. Each chart is an element with
// data-plotly-figure="<id>" naming a <script type="application/json" id="<id>"> block that holds
// the figure; no inline script is needed under the Content Security Policy.
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
  };

  // plotly.js (several MB) is fetched only once a page holds a chart, and after the page is
  // ready: loading it up front would hold back htmx (and every control it drives) until it ran.
  var PLOTLY_SRC = document.currentScript && document.currentScript.getAttribute("data-plotly-src");
  var waiting = null;

  function withPlotly(callback) {
    if (window.Plotly) {
      callback();
      return;
    }
    if (!PLOTLY_SRC) {
      return;
    }
    if (waiting === null) {
      waiting = [];
      var script = document.createElement("script");
      script.src = PLOTLY_SRC;
      script.onload = function () {
        var callbacks = waiting;
        waiting = [];
        callbacks.forEach(function (each) {
          each();
        });
      };
      document.head.appendChild(script);
    }
    waiting.push(callback);
  }

  function draw(root) {
    if (root.querySelector && root.querySelector("[data-plotly-figure]")) {
      withPlotly(function () {
        drawNow(root);
      });
    }
  }

  function drawNow(root) {
    root.querySelectorAll("[data-plotly-figure]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-plotly-figure"));
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      var layout = Object.assign({}, figure.layout, { autosize: true });
      delete layout.width;
      if (window.matchMedia("(max-width: 640px)").matches) {
        // Phones: smaller margins and type, legend below the plot.
        layout.margin = { l: 40, r: 6, t: 8, b: 30 };
        layout.font = Object.assign({}, layout.font, { size: 11 });
      }
      window.Plotly.react(element, figure.data, layout, CONFIG);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
  });
  // Partials swapped in by htmx (filters, polling) may carry charts of their own.
  document.addEventListener("htmx:afterSettle", function (event) {
    draw(event.target);
  });
})();
