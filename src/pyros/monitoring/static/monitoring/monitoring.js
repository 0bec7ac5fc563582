/* The Weather and Observatory pages, kept live from the monitoring API without
   reloading: the safety decision and the values every two seconds, the weather plots
   (drawn here into SVG) and the safety timeline as their data changes.

   The server writes every value (the API's "text"), so this file never formats a
   quantity itself. Plain JavaScript, served locally: the site must work with no
   internet. */
(function () {
  "use strict";

  const {fetchJSON, el, setLive, utc} = window.PyROS;

  const SVG = "http://www.w3.org/2000/svg";
  const NOW_PERIOD = 2000; // ms between two reads of the current state
  const DASH = "\u2013";
  const byId = (id) => document.getElementById(id);

  // --- helpers ---------------------------------------------------------------------------

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, String(value));
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setText(node, text) {
    if (node && node.textContent !== text) node.textContent = text;
  }

  const ms = (iso) => Date.parse(iso);

  /** Repeat ``task`` every ``period`` ms, one at a time, the live dot telling how it goes. */
  function every(period, task) {
    const run = () => task().then(() => setLive(true), (error) => setLive(false, error.message))
      .finally(() => setTimeout(run, period));
    run();
  }

  // --- the safety decision and the values (both pages) ------------------------------------

  function showSafety(safety) {
    const card = byId("safety");
    card.classList.toggle("is-safe", safety.safe && safety.current);
    card.classList.toggle("is-unsafe", !(safety.safe && safety.current));
    const badge = byId("safety-status");
    setText(badge, safety.status);
    badge.className = `status status-${safety.status}`;
    setText(byId("safety-safe"), safety.safe ? "Safe" : "Unsafe");
    setText(byId("safety-since"), safety.since ? `since ${utc(safety.since)}` : "");
    setText(byId("safety-sky"), safety.sky);
    const list = byId("safety-reasons");
    const reasons = safety.reasons.length ? safety.reasons : [null];
    const shown = Array.from(list.children).map((li) => li.textContent);
    const wanted = reasons.map((r) => r || "Every criterion is good.");
    if (shown.join("\n") !== wanted.join("\n")) {
      list.replaceChildren(...reasons.map((r) => (r ? el("li", r)
        : el("li", "Every criterion is good.", "muted"))));
    }
    const stale = byId("safety-stale");
    stale.hidden = safety.current;
    if (!safety.current) {
      setText(stale, safety.decided_at
        ? `No safety decision since ${utc(safety.decided_at)}: the monitoring agent may have `
          + "stopped. Treat the site as unsafe."
        : "No safety decision yet: is the monitoring agent running (pyros start monitoring)?");
    }
    const plc = byId("safety-plc");
    plc.hidden = !safety.plc_error;
    setText(plc, `PLC: ${safety.plc_error}`);
  }

  function valueRow(value) {
    const row = el("tr");
    row.dataset.quantity = value.quantity;
    if (value.value === null) row.className = "is-missing";
    else if (value.alarm) row.className = "is-alarm";
    row.append(el("td", value.label), el("td", value.text, "value"));
    const source = el("td", value.source || DASH, "source");
    if (value.measured_at) {
      source.append(" ", el("span", `at ${utc(value.measured_at).slice(11)}`, "muted"));
    }
    const validity = el("td");
    if (value.value === null) validity.append(el("span", "missing", "badge badge-dead"));
    else if (value.fallback) validity.append(el("span", "fallback", "badge badge-stale"));
    else validity.append(el("span", "valid", "badge badge-alive"));
    if (value.reason) validity.append(" ", el("span", value.reason, "muted reason"));
    row.append(source, validity);
    return row;
  }

  function showValues(values) {
    const body = byId("values").tBodies[0];
    const rows = values.map(valueRow);
    if (!rows.length) {
      const empty = el("tr", null, "is-missing");
      const cell = el("td", "No reading stored yet.", "muted");
      cell.colSpan = 4;
      empty.append(cell);
      rows.push(empty);
    }
    const html = rows.map((r) => r.outerHTML).join("");
    if (body.dataset.shown !== html) {
      body.replaceChildren(...rows);
      body.dataset.shown = html;
    }
  }

  function showHead(data) {
    setText(byId("server-now"), utc(data.now));
    setText(byId("read-at"), utc(data.time));
  }

  // --- plots -----------------------------------------------------------------------------

  const PANELS = [
    {title: "Rain rate", unit: "mm/h", series: ["rain_rate"], floor: 0, span: 1},
    {title: "Wind and gusts", unit: "m/s", series: ["wind_speed", "wind_gust"], floor: 0,
     span: 5},
    {title: "Humidity", unit: "%", series: ["humidity"], fixed: [0, 100]},
    {title: "Temperature and dew point", unit: "\u00b0C", series: ["temperature", "dew_point"],
     span: 5},
    {title: "Sky minus ambient", unit: "K", series: ["sky_minus_ambient"], span: 10},
  ];
  const COLOURS = {rain_rate: "#1f5fbf", wind_speed: "#1d7a46", wind_gust: "#9a6700",
                   humidity: "#1f5fbf", temperature: "#b3261e", dew_point: "#1f5fbf",
                   sky_minus_ambient: "#5b3fa8"};
  const LABELS = {rain_rate: "rain", wind_speed: "wind", wind_gust: "gusts",
                  humidity: "humidity", temperature: "temperature", dew_point: "dew point",
                  sky_minus_ambient: "sky \u2212 ambient"};
  const W = 640;
  const H = 130;
  const M = {left: 40, right: 8, top: 8, bottom: 20};
  const limitsNode = byId("plot-limits");
  const limits = limitsNode ? JSON.parse(limitsNode.textContent) : {};

  /** Round ticks between low and high: about four of them. */
  function ticks(low, high) {
    const raw = (high - low) / 4;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) || raw;
    const out = [];
    for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
      out.push(Math.round(t / step) * step);
    }
    return out;
  }

  function yRange(panel, points) {
    if (panel.fixed) return panel.fixed;
    const values = [];
    for (const point of points) {
      for (const name of panel.series) {
        const value = point.values[name];
        if (value !== null && value !== undefined) values.push(value);
      }
    }
    for (const name of panel.series) {
      if (limits[name] !== undefined) values.push(limits[name]);
    }
    let low = values.length ? Math.min(...values) : 0;
    let high = values.length ? Math.max(...values) : 1;
    const floored = panel.floor !== undefined && low >= panel.floor;
    if (floored) low = panel.floor;
    const span = panel.span || 1;
    if (high - low < span) {
      const middle = floored ? low + span / 2 : (high + low) / 2;
      low = floored ? low : middle - span / 2;
      high = middle + span / 2;
    }
    const pad = (high - low) * 0.08;
    return [floored ? low : low - pad, high + pad];
  }

  function timeTicks(start, end) {
    const hour = 3600e3;
    const span = end - start;
    const step = span > 2 * 86400e3 ? 86400e3 : span > 12 * hour ? 3 * hour : hour;
    const out = [];
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) out.push(t);
    return out;
  }

  /** Labels near an edge are drawn inward, so that none is cut. */
  function anchor(at, width) {
    if (at > width - 20) return "end";
    if (at < 20) return "start";
    return "middle";
  }

  function timeLabel(t, daily) {
    const iso = new Date(t).toISOString();
    return daily ? iso.slice(5, 10) : iso.slice(11, 16);
  }

  function drawPanel(panel, data) {
    const start = ms(data.start);
    const end = ms(data.now);
    const [low, high] = yRange(panel, data.points);
    const x = (t) => M.left + (W - M.left - M.right) * (t - start) / (end - start || 1);
    const y = (v) => M.top + (H - M.top - M.bottom) * (1 - (v - low) / (high - low || 1));
    const root = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "plot-svg", role: "img",
                             "aria-label": `${panel.title} (${panel.unit})`});
    for (const period of data.unsafe_periods) {
      const left = Math.max(M.left, x(ms(period.start)));
      const right = Math.min(W - M.right, x(ms(period.end)));
      if (right <= left) continue;
      const shade = svg("rect", {x: left, y: M.top, width: Math.max(1, right - left),
                                 height: H - M.top - M.bottom, class: "unsafe"});
      shade.append(svg("title", {}, `${period.status} from ${utc(period.start)} to `
        + `${utc(period.end)}: ${period.reasons.join("; ")}`));
      root.append(shade);
    }
    for (const value of ticks(low, high)) {
      root.append(svg("line", {x1: M.left, x2: W - M.right, y1: y(value), y2: y(value),
                               class: "grid"}));
      root.append(svg("text", {x: M.left - 4, y: y(value) + 3, class: "tick",
                               "text-anchor": "end"}, String(Number(value.toFixed(6)))));
    }
    const daily = end - start > 2 * 86400e3;
    root.append(svg("text", {x: M.left - 4, y: H - 6, class: "tick axis-unit",
                             "text-anchor": "end"}, "UTC"));
    for (const t of timeTicks(start, end)) {
      root.append(svg("line", {x1: x(t), x2: x(t), y1: M.top, y2: H - M.bottom,
                               class: "grid"}));
      root.append(svg("text", {x: x(t), y: H - 6, class: "tick",
                               "text-anchor": anchor(x(t), W)}, timeLabel(t, daily)));
    }
    for (const name of panel.series) {
      if (limits[name] === undefined || limits[name] < low || limits[name] > high) continue;
      root.append(svg("line", {x1: M.left, x2: W - M.right, y1: y(limits[name]),
                               y2: y(limits[name]), class: "limit",
                               stroke: COLOURS[name]}));
    }
    // A gap longer than three buckets (or 15 min, where the history is thinned) is a
    // gap in the line, not a straight line across it.
    const gap = 3 * Math.max(data.bucket_seconds, 300) * 1000;
    for (const name of panel.series) {
      let d = "";
      let previous = null;
      let count = 0;
      for (const point of data.points) {
        const value = point.values[name];
        const t = ms(point.time);
        if (value === null || value === undefined) {
          previous = null;
          continue;
        }
        const move = previous === null || t - previous > gap ? "M" : "L";
        d += `${move}${x(t).toFixed(1)},${y(value).toFixed(1)}`;
        previous = t;
        count += 1;
      }
      if (count) {
        root.append(svg("path", {d, class: "series", stroke: COLOURS[name],
                                 "data-series": name, "data-points": count}));
      }
    }
    root.append(svg("rect", {x: M.left, y: M.top, width: W - M.left - M.right,
                             height: H - M.top - M.bottom, class: "frame"}));
    return root;
  }

  function drawPlots(section, data) {
    const figures = PANELS.map((panel) => {
      const figure = el("figure", null, "plot");
      const caption = el("figcaption");
      caption.append(el("strong", panel.title), ` (${panel.unit}) `);
      if (panel.series.length > 1) {
        for (const name of panel.series) {
          const key = el("span", LABELS[name], "key");
          key.style.setProperty("--key", COLOURS[name]);
          caption.append(key, " ");
        }
      }
      figure.append(caption, drawPanel(panel, data));
      return figure;
    });
    section.querySelectorAll("figure.plot, p.plot-empty, p.plot-run").forEach((n) => n.remove());
    if (data.run) {
      section.append(el("p", `Simulated time: only the readings of this simulated run `
        + `(${data.run}) are drawn.`, "muted plot-run"));
    }
    section.append(...figures);
    if (!data.points.length) section.append(el("p", "No data in this period.", "muted plot-empty"));
    section.dataset.drawnAt = data.now;
  }

  // --- the safety timeline (Observatory) -------------------------------------------------

  function drawTimeline(data) {
    const box = byId("timeline");
    const start = ms(data.timeline_start);
    const end = ms(data.now);
    const width = box.clientWidth || W; // drawn at the box's size: text at its own size
    const x = (t) => width * Math.max(0, t - start) / (end - start || 1);
    const root = svg("svg", {viewBox: `0 0 ${width} 34`, class: "timeline-svg", role: "img",
                             "aria-label": "safety over the last 7 days"});
    const changes = data.changes.slice().reverse(); // oldest first
    changes.forEach((change, i) => {
      const until = i + 1 < changes.length ? ms(changes[i + 1].time) : end;
      const left = x(ms(change.time));
      const part = svg("rect", {x: left, y: 2, width: Math.max(1, x(until) - left), height: 16,
                                class: `segment segment-${change.status}`});
      part.append(svg("title", {}, `${change.status} from ${utc(change.time)}`
        + (change.reasons.length ? `: ${change.reasons.join("; ")}` : "")));
      root.append(part);
    });
    for (const t of timeTicks(start, end)) {
      root.append(svg("text", {x: x(t), y: 31, class: "tick",
                               "text-anchor": anchor(x(t), width)}, `${timeLabel(t, true)} 00h`));
    }
    box.replaceChildren(root);
  }

  function showChanges(changes) {
    const body = byId("changes").tBodies[0];
    const rows = changes.map((change) => {
      const row = el("tr");
      const status = el("td");
      status.append(el("span", change.status, `status status-${change.status}`));
      row.append(el("td", utc(change.time)), status, el("td", change.safe ? "safe" : "unsafe"),
                 el("td", change.reasons.join("; ")));
      return row;
    });
    if (!rows.length) {
      const empty = el("tr");
      const cell = el("td", "No status recorded in the last 7 days.", "muted");
      cell.colSpan = 4;
      empty.append(cell);
      rows.push(empty);
    }
    body.replaceChildren(...rows);
  }

  // --- the pages -------------------------------------------------------------------------

  const weather = byId("weather");
  if (weather) {
    const sections = Array.from(weather.querySelectorAll("section.plots"));
    const due = new Map(sections.map((s) => [s, 0]));
    // A section is drawn again when its period is over, and the shortest one also as
    // soon as a new reading arrives: the plot moves with the readings, also under a
    // simulated clock running many times faster than the wall.
    const quick = sections.length ? sections[0] : null;
    let lastReading = null;
    every(NOW_PERIOD, () => fetchJSON(weather.dataset.nowUrl).then((data) => {
      showHead(data);
      showSafety(data.safety);
      showValues(data.values);
      const now = Date.now();
      if (quick && data.time && data.time !== lastReading) due.set(quick, 0);
      lastReading = data.time;
      return Promise.all(sections.filter((s) => now >= due.get(s)).map((section) => {
        due.set(section, now + 1000 * Number(section.dataset.refresh));
        const url = `${weather.dataset.historyUrl}?minutes=${section.dataset.minutes}`;
        return fetchJSON(url).then((history) => drawPlots(section, history));
      }));
    }));
  }

  const observatory = byId("observatory");
  if (observatory) {
    let drawn = "";
    every(NOW_PERIOD, () => fetchJSON(observatory.dataset.siteUrl).then((data) => {
      showHead(data);
      showSafety(data.safety);
      showValues(data.values);
      const key = JSON.stringify(data.changes);
      if (key !== drawn) showChanges(data.changes);
      drawn = key;
      drawTimeline(data);
    }));
  }
})();
