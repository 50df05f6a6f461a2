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

  function draw(root) {
    if (!window.Plotly) {
      return;
    }
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
