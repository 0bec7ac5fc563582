/* The Telescope & Instruments and Cameras pages, kept live from /api/instruments/ every
   second without reloading, and the remote-control panel: each action is confirmed,
   sent to the devices agent through the API, then followed until it ends.

   The page declares what it shows: each device's block carries data-device (its
   name), each value data-field and data-format, each flag data-flag. The formats are
   those of instruments/display.py; keep the two in step. Plain JavaScript, served
   locally: the site must work with no internet. */
(function () {
  "use strict";

  const {duration, utc, fetchJSON, el, setLive, csrfToken} = window.PyROS;

  const root = document.getElementById("instruments");
  if (!root) {
    return;
  }
  const PERIOD = 1000; // ms between two polls
  const DASH = "\u2013";
  const urls = root.dataset;
  const kinds = new Set((root.dataset.kinds || "").split(/\s+/).filter(Boolean));
  const byId = (id) => document.getElementById(id);

  // --- formats (display.py) --------------------------------------------------------------

  const halfUp = (value) => Math.floor(value + 0.5);
  const pad = (number) => String(number).padStart(2, "0");

  function fixed(value, digits) {
    const scale = 10 ** digits;
    const number = halfUp(Math.abs(value) * scale) / scale;
    const sign = value < 0 && number !== 0 ? "-" : "";
    return sign + number.toFixed(digits);
  }

  function hms(degrees) {
    const day = 24 * 36000;
    const tenths = halfUp((((degrees % 360) + 360) % 360) / 15 * 36000) % day;
    const hours = Math.floor(tenths / 36000);
    const rest = tenths % 36000;
    const minutes = Math.floor(rest / 600);
    const secs = rest % 600;
    return `${pad(hours)}h ${pad(minutes)}m ${pad(Math.floor(secs / 10))}.${secs % 10}s`;
  }

  function dms(degrees) {
    const sign = degrees < 0 ? "-" : "+";
    const seconds = halfUp(Math.abs(degrees) * 3600);
    const whole = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    return `${sign}${pad(whole)}\u00b0 ${pad(minutes)}\u2032 ${pad(seconds % 60)}\u2033`;
  }

  function display(value, kind) {
    if (value === null || value === undefined || value === "") {
      return kind === "setpoint" ? "off" : DASH;
    }
    if (kind === "flag") return value ? "yes" : "no";
    if (kind === "text" || typeof value !== "number") return String(value);
    switch (kind) {
      case "hms": return hms(value);
      case "dms": return dms(value);
      case "deg": return `${fixed(value, 2)}\u00b0`;
      case "hours": return `${value >= 0 ? "+" : ""}${fixed(value, 2)} h`;
      case "celsius":
      case "setpoint": return `${fixed(value, 1)} \u00b0C`;
      case "seconds": return `${fixed(value, 1)} s`;
      case "percent": return `${fixed(value, 0)} %`;
      case "int": return String(halfUp(value));
      default: return String(value);
    }
  }

  // --- helpers ---------------------------------------------------------------------------

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  // --- the devices -----------------------------------------------------------------------

  function showDevice(block, device) {
    block.classList.toggle("is-stale", device.stale);
    block.querySelectorAll("[data-field]").forEach((node) => {
      setText(node, display(device.data[node.dataset.field], node.dataset.format || "text"));
    });
    block.querySelectorAll("[data-flag]").forEach((node) => {
      node.classList.toggle("flag-on", Boolean(device.data[node.dataset.flag]));
    });
    const connected = block.querySelector("[data-connected]");
    if (connected) {
      setText(connected, device.connected ? "connected" : "disconnected");
      connected.classList.toggle("badge-alive", device.connected);
      connected.classList.toggle("badge-dead", !device.connected);
    }
    const stale = block.querySelector("[data-stale]");
    if (stale) stale.hidden = !device.stale;
    const age = block.querySelector("[data-age]");
    if (age) {
      setText(age, device.age_seconds === null ? "no status read yet"
        : `read ${duration(device.age_seconds)} ago`);
    }
    const error = block.querySelector("[data-error]");
    if (error) {
      setText(error, device.error);
      error.hidden = !device.stale;
    }
  }

  function showPreview(device) {
    document.querySelectorAll("[data-preview-of]").forEach((img) => {
      if (img.dataset.previewOf !== device.name) return;
      const caption = img.parentElement.querySelector("[data-no-preview]");
      if (device.preview_url && img.getAttribute("src") !== device.preview_url) {
        img.src = device.preview_url;
      }
      img.hidden = !device.preview_url;
      if (caption) caption.hidden = Boolean(device.preview_url);
    });
  }

  function showMode(mode) {
    const badge = byId("mode");
    setText(badge, mode.mode);
    badge.className = `status status-${mode.mode}`;
    let detail = "never set";
    if (mode.changed_at) {
      detail = `set by ${mode.changed_by || "?"} at ${utc(mode.changed_at)}`;
      if (mode.reason) detail += `: ${mode.reason}`;
    }
    setText(byId("mode-detail"), detail);
    const controls = byId("remote-controls");
    if (controls) {
      controls.disabled = !mode.remote_control;
      const off = byId("remote-off");
      setText(off, `Remote control acts only in REMOTE mode (now: ${mode.mode})`);
      off.hidden = mode.remote_control;
    }
  }

  function refresh() {
    return fetchJSON(urls.apiUrl).then((data) => {
      setText(byId("server-now"), utc(data.now));
      showMode(data.mode);
      const blocks = new Map();
      document.querySelectorAll("[data-device]").forEach((block) => {
        const list = blocks.get(block.dataset.device) || [];
        list.push(block);
        blocks.set(block.dataset.device, list);
      });
      let unknown = 0;
      for (const device of data.devices) {
        if (!kinds.has(device.kind)) continue;
        const shown = blocks.get(device.name);
        if (!shown) {
          unknown += 1;
          continue;
        }
        shown.forEach((block) => showDevice(block, device));
        if (device.kind === "camera") showPreview(device);
      }
      byId("devices-changed").hidden = unknown === 0;
    });
  }

  function poll() {
    refresh().then(() => setLive(true), (error) => setLive(false, error.message))
      .finally(() => setTimeout(poll, PERIOD));
  }

  // --- remote control --------------------------------------------------------------------

  const panel = byId("remote");
  const resultBox = byId("command-result");
  const commands = PyROS.commandPanel(resultBox, urls.commandUrl, "waiting for the devices agent…",
                                     PERIOD);

  /** The form's fields as the command's arguments: numbers as numbers, empty left out. */
  function formArgs(form) {
    const args = {};
    for (const field of form.elements) {
      if (!field.name || field.value === "") continue;
      args[field.name] = field.type === "number" ? Number(field.value) : field.value;
    }
    return args;
  }

  function confirmation(form, args) {
    return form.dataset.confirm.replace(/\{(\w+)\}/g,
      (whole, name) => (name in args ? String(args[name]) : "as it is"));
  }

  function send(form) {
    const args = formArgs(form);
    if (!window.confirm(confirmation(form, args))) return;
    commands.forget();
    resultBox.hidden = false;
    resultBox.replaceChildren(el("p", `Sending ${form.dataset.command}…`, "muted"));
    fetchJSON(urls.sendUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(panel)},
      body: JSON.stringify({command: form.dataset.command, args, confirmed: true}),
    }).then((command) => {
      commands.show(command);
      commands.follow(command);
    }, (error) => commands.problem(error.message));
  }

  function syncFilters() {
    const filters = JSON.parse(byId("channel-filters").textContent);
    const channel = byId("expose-channel").value;
    const select = byId("expose-filter");
    const chosen = select.value;
    Array.from(select.options).filter((o) => o.value !== "").forEach((o) => o.remove());
    (filters[channel] || []).forEach((name) => select.add(new Option(name, name)));
    select.value = (filters[channel] || []).includes(chosen) ? chosen : "";
  }

  if (panel) {
    panel.querySelectorAll("form.remote-form").forEach((form) => {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        send(form);
      });
    });
    byId("expose-channel").addEventListener("change", syncFilters);
    syncFilters();
  }

  poll();
})();
