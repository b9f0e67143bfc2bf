// Live progress of a job: polls the job's JSON on this server and updates the page's text (never HTML).
"use strict";
(function () {
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.getAttribute("data-status");
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value === null || value === undefined ? "" : String(value); }
  }
  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) { el.hidden = !visible; }
  }
  function update(s) {
    text("job-state", s.state);
    document.getElementById("job-state").className = "state " + s.state;
    text("job-seconds", s.seconds);
    text("job-message", s.message);
    show("job-message", !!s.message);
    text("job-log", s.log);
    if (s.progress) {
      show("job-progress", true);
      var bar = document.getElementById("job-bar");
      if (bar) { bar.max = Math.max(s.progress.total, 1); bar.value = s.progress.done; }
      text("job-bar-label", s.progress.label);
      text("job-count", s.progress.text);
      text("job-info", s.progress.info);
    }
    if (s.run) {
      show("job-run", true);
      text("run-id", s.run.id);
      text("run-status", s.run.status + " (" + s.run.phase + ")");
      var pages = Object.keys(s.run.pages).map(function (k) { return k + " " + s.run.pages[k].toLocaleString("en"); });
      text("run-pages", pages.join(", "));
      text("run-items", s.run.items.toLocaleString("en"));
    }
    var running = s.state === "running";
    show("interrupt", running);
    show("again", !running);
    show("job-done", s.state === "done");
    return running;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (update(s)) { setTimeout(poll, 1000); }
        else if (box.getAttribute("data-reload")) { window.location.reload(); }  // the result is on the page
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
