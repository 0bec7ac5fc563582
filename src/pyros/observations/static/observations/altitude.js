// The request builder's altitude plot: the target typed in RA/Dec, through tonight.
// Asks /api/schedule/altitude/ (which reads RA/Dec as request files do) and draws an
// SVG: altitude against UTC time, the dark time shaded. No inline script (the CSP).
(function () {
  "use strict";
  var box = document.getElementById("altitude");
  var ra = document.getElementById("id_ra");
  var dec = document.getElementById("id_dec");
  if (!box || !ra || !dec) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var W = 640, H = 220, L = 36, R = 10, T = 10, B = 26;
  var note = document.getElementById("altitude-note");
  var timer = null;

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function hhmm(iso) { return iso.slice(11, 16); }

  function draw(data) {
    var old = box.querySelector("svg");
    if (old) { old.remove(); }
    var points = data.points;
    if (!points.length) { note.textContent = "No night at the site on " + data.night + "."; return; }
    var t0 = Date.parse(points[0][0]), t1 = Date.parse(points[points.length - 1][0]);
    var x = function (iso) { return L + (Date.parse(iso) - t0) / (t1 - t0 || 1) * (W - L - R); };
    var y = function (alt) { return T + (90 - Math.max(alt, 0)) / 90 * (H - T - B); };
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, "class": "altitude-svg",
                         role: "img", "aria-label": "altitude of the target tonight"});
    if (data.dark_start && data.dark_end) {
      svg.appendChild(el("rect", {x: x(data.dark_start), y: T, "class": "dark",
        width: Math.max(0, x(data.dark_end) - x(data.dark_start)), height: H - T - B}));
    }
    [0, 30, 60, 90].forEach(function (alt) {
      svg.appendChild(el("line", {x1: L, x2: W - R, y1: y(alt), y2: y(alt), "class": "grid"}));
      svg.appendChild(el("text", {x: L - 4, y: y(alt) + 4, "class": "tick end"}, alt + "°"));
    });
    var step = Math.max(1, Math.round(points.length / 8));
    for (var i = 0; i < points.length; i += step) {
      svg.appendChild(el("text", {x: x(points[i][0]), y: H - 8, "class": "tick middle"},
                         hhmm(points[i][0])));
    }
    var path = points.map(function (p, k) {
      return (k ? "L" : "M") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1);
    }).join(" ");
    svg.appendChild(el("path", {d: path, "class": "curve"}));
    box.appendChild(svg);
    var best = points.reduce(function (a, b) { return b[1] > a[1] ? b : a; });
    note.textContent = best[1] > 0
      ? "Highest " + best[1].toFixed(0) + "° at " + hhmm(best[0]) + " UTC (night of " +
        data.night + "; shaded: dark time; times in UTC, 24 h)."
      : "Below the horizon all night of " + data.night + ".";
  }

  function update() {
    if (!ra.value.trim() || !dec.value.trim()) { box.hidden = true; return; }
    var url = box.dataset.url + "?ra=" + encodeURIComponent(ra.value.trim()) +
              "&dec=" + encodeURIComponent(dec.value.trim());
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (answer) {
        box.hidden = false;
        if (!answer.ok) {
          var old = box.querySelector("svg");
          if (old) { old.remove(); }
          note.textContent = answer.body.detail || "Cannot compute the altitude.";
          return;
        }
        draw(answer.body);
      })
      .catch(function () { note.textContent = "Cannot reach the server for the altitude."; });
  }

  function later() { clearTimeout(timer); timer = setTimeout(update, 300); }
  ra.addEventListener("input", later);
  dec.addEventListener("input", later);
  update();
}());
