// The entity graph explorer: draws entities and links as SVG (text set as text, never as HTML), expands a
// node's neighbours, shows the selected entity's effective ownership and links with their sources, and
// marks the paths between two entities. Every answer comes from this server's JSON (owners stage queries).
"use strict";
(function () {
  var root = document.getElementById("graph");
  if (!root) { return; }
  var base = root.getAttribute("data-base");
  var svg = document.getElementById("graph-svg");
  var SVG = "http://www.w3.org/2000/svg";
  var W = 900, H = 600, MAX_NODES = 400;
  var nodes = {}, edges = {}, order = [];
  var selected = null, pathFrom = null, marked = {};

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function html(name, text, parent, cls) {
    var e = document.createElement(name);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function status(text) { document.getElementById("graph-status").textContent = text || ""; }
  function get(path, params) {
    var query = Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
    return fetch(base + path + "?" + query, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (d) { if (d && d.error) { throw new Error(d.error); } return d; });
  }

  function addNode(n, near) {
    if (nodes[n.key]) { return nodes[n.key]; }
    if (order.length >= MAX_NODES) { return null; }
    var a = Math.random() * 2 * Math.PI, c = near || { x: W / 2, y: H / 2 };
    var node = { key: n.key, id: n.id, name: n.name, schema: n.schema, expanded: false,
                 x: c.x + 60 * Math.cos(a), y: c.y + 60 * Math.sin(a) };
    nodes[n.key] = node;
    order.push(n.key);
    return node;
  }
  function merge(data, near) {
    var centre = nodes[near] || null;
    data.nodes.forEach(function (n) { addNode(n, centre); });
    data.edges.forEach(function (e) { if (nodes[e.from] && nodes[e.to]) { edges[e.key] = e; } });
  }

  function layout(steps) {
    var keys = order, n = keys.length, k = Math.sqrt((W * H) / Math.max(n, 1)) * 0.6;
    for (var step = 0; step < steps; step++) {
      var t = 20 * (1 - step / steps) + 1, disp = {};
      keys.forEach(function (a) { disp[a] = { x: 0, y: 0 }; });
      for (var i = 0; i < n; i++) {
        for (var j = i + 1; j < n; j++) {
          var p = nodes[keys[i]], q = nodes[keys[j]];
          var dx = p.x - q.x, dy = p.y - q.y, d = Math.sqrt(dx * dx + dy * dy) || 0.01, f = (k * k) / d;
          disp[p.key].x += (dx / d) * f; disp[p.key].y += (dy / d) * f;
          disp[q.key].x -= (dx / d) * f; disp[q.key].y -= (dy / d) * f;
        }
      }
      Object.keys(edges).forEach(function (key) {
        var e = edges[key], p = nodes[e.from], q = nodes[e.to];
        var dx = p.x - q.x, dy = p.y - q.y, d = Math.sqrt(dx * dx + dy * dy) || 0.01, f = (d * d) / k;
        disp[p.key].x -= (dx / d) * f; disp[p.key].y -= (dy / d) * f;
        disp[q.key].x += (dx / d) * f; disp[q.key].y += (dy / d) * f;
      });
      keys.forEach(function (a) {
        var p = nodes[a], d = disp[a], len = Math.sqrt(d.x * d.x + d.y * d.y) || 0.01;
        p.x = Math.min(W - 40, Math.max(40, p.x + (d.x / len) * Math.min(len, t)));
        p.y = Math.min(H - 20, Math.max(20, p.y + (d.y / len) * Math.min(len, t)));
      });
    }
  }

  function label(text) {
    text = String(text || "");
    return text.length > 28 ? text.slice(0, 27) + "…" : text;
  }

  function draw() {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "18", refY: "5",
                                markerWidth: "6", markerHeight: "6", orient: "auto-start-reverse" }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "arrow" }, marker);
    Object.keys(edges).forEach(function (key) {
      var e = edges[key], p = nodes[e.from], q = nodes[e.to];
      var cls = "edge kind-" + e.kind.replace(/[^a-z_]/g, "") + (e.history ? " history" : "") +
                (marked[key] ? " marked" : "");
      var line = el("line", { x1: p.x, y1: p.y, x2: q.x, y2: q.y, "class": cls, "marker-end": "url(#arrow)" }, svg);
      var tip = el("title", {}, line);
      tip.textContent = e.kind + (e.share ? " " + e.share : "") + (e.role ? " (" + e.role + ")" : "") +
        "\nsource: " + e.source;
    });
    order.forEach(function (key) {
      var n = nodes[key];
      var g = el("g", { "class": "node schema-" + String(n.schema).replace(/[^A-Za-z]/g, "") +
                         (key === selected ? " selected" : "") + (marked[key] ? " marked" : ""),
                        transform: "translate(" + n.x + "," + n.y + ")", tabindex: "0", role: "button",
                        "aria-label": (n.name || n.id) + ", " + n.schema }, svg);
      el("circle", { r: n.expanded ? 9 : 7 }, g);
      var t = el("text", { x: 11, y: 4 }, g);
      t.textContent = label(n.name || n.id);
      g.addEventListener("click", function () { select(key); });
      g.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(key); }
      });
    });
    document.getElementById("graph-count").textContent =
      order.length + " entities, " + Object.keys(edges).length + " links drawn";
  }

  function expand(key) {
    status("reading the neighbours…");
    return get("/node.json", { id: key }).then(function (data) {
      if (!nodes[data.key]) { addNode(data.nodes[0], null); }
      merge(data, data.key);
      nodes[data.key].expanded = true;
      layout(120);
      draw();
      status(order.length >= MAX_NODES ? "drawing at most " + MAX_NODES + " entities" : "");
      return data;
    }).catch(function (e) { status(String(e.message || e)); });
  }

  function panel() {
    var box = document.getElementById("graph-panel");
    while (box.firstChild) { box.removeChild(box.firstChild); }
    return box;
  }

  function select(key) {
    selected = key;
    draw();
    var n = nodes[key], box = panel();
    html("h2", n.name || n.id, box);
    html("p", n.schema + " · " + n.id, box, "muted");
    var actions = html("p", null, box);
    var more = html("button", "Expand neighbours", actions);
    more.type = "button";
    more.addEventListener("click", function () { expand(key).then(function () { select(key); }); });
    var from = html("button", pathFrom && pathFrom !== key ? "Paths from the marked entity to here" : "Mark for paths", actions);
    from.type = "button";
    from.addEventListener("click", function () {
      if (pathFrom && pathFrom !== key) { findPaths(pathFrom, key); } else { pathFrom = key; status("marked: now select the other end"); }
    });
    var link = html("a", "Entity page", actions);
    link.href = base + "/entity?id=" + encodeURIComponent(key);
    html("h3", "Effective ownership today", box);
    var owners = html("div", "reading…", box);
    get("/owners.json", { id: key }).then(function (o) {
      owners.textContent = "";
      if (o.is_top) { html("p", "At the top of its chains (" + o.top_reason + ").", owners); }
      if (!o.owners.length) { if (!o.is_top) { html("p", "No owner recorded.", owners); } return; }
      var table = html("table", null, owners), head = html("tr", null, html("thead", null, table));
      ["Owner", "Effective share", "Top", "Flags"].forEach(function (h) { html("th", h, head).scope = "col"; });
      var body = html("tbody", null, table);
      o.owners.forEach(function (w) {
        var tr = html("tr", null, body);
        html("td", w.name, tr); html("td", w.share, tr, "num"); html("td", w.top, tr); html("td", w.flags, tr);
      });
      if (o.more) { html("p", o.more + " more owners not listed", owners, "muted"); }
    }).catch(function (e) { owners.textContent = String(e.message || e); });
    var links = Object.keys(edges).map(function (k) { return edges[k]; })
      .filter(function (e) { return e.from === key || e.to === key; });
    html("h3", "Links drawn (" + links.length + ")", box);
    if (links.length) {
      var t = html("table", null, box), hr = html("tr", null, html("thead", null, t));
      ["Link", "Other end", "Share", "Dates", "Source"].forEach(function (h) { html("th", h, hr).scope = "col"; });
      var tb = html("tbody", null, t);
      links.forEach(function (e) {
        var other = nodes[e.from === key ? e.to : e.from];
        var tr = html("tr", null, tb, e.history ? "history" : "");
        html("td", (e.from === key ? "→ " : "← ") + e.kind + (e.role ? " (" + e.role + ")" : ""), tr);
        html("td", other.name || other.id, tr);
        html("td", e.share, tr); html("td", e.dates + (e.history ? " (history)" : ""), tr);
        html("td", e.source, tr, "url");
      });
    }
  }

  function findPaths(a, b) {
    status("looking for paths…");
    get("/path.json", { a: a, b: b }).then(function (data) {
      marked = {};
      if (!data.paths.length) { status("no path between them within 8 links"); draw(); return; }
      data.paths.forEach(function (p) {
        merge({ nodes: p.nodes, edges: p.edges }, a);
        p.nodes.forEach(function (n) { marked[n.key] = true; });
        p.edges.forEach(function (e) { marked[e.key] = true; });
      });
      pathFrom = null;
      layout(120);
      status(data.paths.length + " shortest path(s) of " + data.paths[0].length + " link(s) marked");
      select(b);
    }).catch(function (e) { status(String(e.message || e)); });
  }

  var start = root.getAttribute("data-start");
  if (start) { expand(start).then(function () { if (nodes[start]) { select(start); } }); }
})();
