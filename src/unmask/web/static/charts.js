// The charts page: draws each of the report's Vega-Lite specs (charts.json of this server) with the
// vendored vega-embed. No eval (expressions run through vega-interpreter, `ast: true`), no injected style
// (`defaultStyle: false`), no data from any address (the loader refuses every URL), text only.
"use strict";
(function () {
  var box = document.getElementById("charts");
  if (!box || !window.vegaEmbed || !window.vegaExpressionInterpreter) { return; }
  var loader = window.vega.loader();
  loader.sanitize = function () { return Promise.reject(new Error("no data is loaded from an address")); };
  var options = {
    ast: true,
    expr: window.vegaExpressionInterpreter,
    defaultStyle: false,
    actions: false,
    renderer: "svg",
    loader: loader,
    tooltip: { disableDefaultStyle: true }  // vega-tooltip escapes every value (its default sanitize)
  };
  function fail(key, message) {
    var el = document.getElementById("chart-" + key);
    if (el) {
      el.textContent = "This chart could not be drawn: " + message;
      el.className = "error";
    }
  }
  fetch(box.getAttribute("data-specs"), { credentials: "same-origin", cache: "no-store" })
    .then(function (r) { return r.json(); })
    .then(function (charts) {
      charts.forEach(function (c) {
        var el = document.getElementById("chart-" + c.key);
        if (!el) { return; }
        window.vegaEmbed(el, c.spec, options)
          .then(function () {
            // the container is the one labelled image; vega's own roles (some unlabelled) are dropped
            el.querySelectorAll("svg, svg [role]").forEach(function (n) {
              n.removeAttribute("role");
              n.removeAttribute("aria-roledescription");
            });
            el.querySelectorAll("svg").forEach(function (n) { n.setAttribute("aria-hidden", "true"); });
            el.setAttribute("data-drawn", "1");
          })
          .catch(function (e) { fail(c.key, String(e && e.message || e)); });
      });
    })
    .catch(function (e) { box.setAttribute("data-error", String(e)); });
})();
