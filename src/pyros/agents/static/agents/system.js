/* The System page, kept live from the API without reloading: the agents table every
   second, the log lines that follow the last one seen every second, and the command
   form. Plain JavaScript, served locally: the site must work with no internet. */
(function () {
  "use strict";

  const {fetchJSON, utc, duration, el, setLive, csrfToken} = window.PyROS;

  const root = document.getElementById("system");
  if (!root) {
    return;
  }
  const PERIOD = 1000; // ms between two polls
  const MAX_LOG_ROWS = 2000; // older lines leave the page
  const SEND_WAIT = 2; // seconds the API waits for a command before answering
  const HINTS = {set_mode: "mode=IDLE", calc: "expression=2 * (3 + 4)"};
  const urls = root.dataset;
  const byId = (id) => document.getElementById(id);

  // --- helpers --------------------------------------------------------------------------

  function badge(text, className) {
    return el("span", text, className);
  }

  /** Keep a select's agent options in step with the agents known, keeping the choice. */
  function syncOptions(select, names) {
    if (!select) return;
    const current = Array.from(select.options).map((o) => o.value).filter((v) => v !== "");
    const wanted = names.slice();
    if (select.value && !wanted.includes(select.value)) wanted.push(select.value);
    if (current.join("\n") === wanted.join("\n")) return;
    const chosen = select.value;
    Array.from(select.options).filter((o) => o.value !== "").forEach((o) => o.remove());
    wanted.forEach((name) => select.add(new Option(name, name)));
    select.value = chosen;
  }

  /** Run ``task`` (which returns a promise) every PERIOD, never two at once; ``now()``
      runs it again at once, e.g. after a filter changed. */
  function poller(task) {
    let timer = null;
    let running = false;
    let again = false;
    function run() {
      timer = null;
      if (running) {
        again = true;
        return;
      }
      running = true;
      task().then(() => setLive(true), (error) => setLive(false, error.message))
        .finally(() => {
          running = false;
          if (again) {
            again = false;
            run();
          } else {
            timer = setTimeout(run, PERIOD);
          }
        });
    }
    return {
      start: run,
      now() {
        if (timer !== null) clearTimeout(timer);
        run();
      },
    };
  }

  // --- agents ---------------------------------------------------------------------------

  function agentRow(agent, now) {
    const tr = el("tr");
    tr.dataset.agent = `${agent.name}@${agent.computer}`;
    const status = el("td", agent.status, "agent-status");
    if (agent.current_command) {
      status.append(" ", el("span", `· command #${agent.current_command}`, "muted"));
    }
    const mode = el("td");
    mode.append(badge(agent.mode, `status status-${agent.mode}`));
    const state = el("td");
    state.append(agent.alive ? badge("alive", "badge badge-alive")
      : badge("dead", "badge badge-dead"));
    const beat = el("td", utc(agent.last_beat));
    if (agent.last_beat) {
      const age = (Date.parse(now) - Date.parse(agent.last_beat)) / 1000;
      beat.append(" ", el("span", `(${duration(age)} ago)`, "muted"));
    }
    tr.append(el("td", agent.name, "agent-name"), el("td", agent.computer),
      el("td", agent.pid === null ? "–" : agent.pid), mode, status, el("td", agent.iteration),
      state, el("td", duration(agent.uptime_seconds)), el("td", agent.restarts), beat);
    return tr;
  }

  function refreshAgents() {
    return fetchJSON(urls.agentsUrl).then((data) => {
      const rows = data.agents.map((agent) => agentRow(agent, data.now));
      if (!rows.length) {
        const empty = el("tr", null, "empty");
        const td = el("td", "No agent has started yet.", "muted");
        td.colSpan = 10;
        empty.append(td);
        rows.push(empty);
      }
      byId("agents").tBodies[0].replaceChildren(...rows);
      byId("server-now").textContent = utc(data.now);
      const names = Array.from(new Set(data.agents.map((agent) => agent.name))).sort();
      syncOptions(byId("log-agent"), names);
      syncOptions(byId("command-agent"), names);
    });
  }

  // --- logs -----------------------------------------------------------------------------

  const logBody = byId("logs").tBodies[0];
  const logPanel = byId("log-panel");
  const agentFilter = byId("log-agent");
  const levelFilter = byId("log-level");
  let lastLogId = null; // null: ask for the latest lines
  let filterGeneration = 0;

  function logsUrl() {
    const params = new URLSearchParams();
    if (agentFilter.value) params.set("agent", agentFilter.value);
    params.set("level", levelFilter.value);
    if (lastLogId !== null) params.set("after", lastLogId);
    return `${urls.logsUrl}?${params}`;
  }

  function appendLogs(lines) {
    if (!lines.length) return;
    for (const line of lines) {
      const tr = el("tr", null, `log-${line.level_name}`);
      tr.dataset.id = line.id;
      const level = el("td");
      level.append(badge(line.level_name, `level level-${line.level_name}`));
      tr.append(el("td", utc(line.created_at), "log-time"), el("td", line.agent), level,
        el("td", line.message, "log-message"));
      logBody.append(tr);
    }
    while (logBody.rows.length > MAX_LOG_ROWS) logBody.deleteRow(0);
    byId("log-empty").hidden = true;
    if (byId("log-follow").checked) logPanel.scrollTop = logPanel.scrollHeight;
  }

  function pollLogs() {
    const generation = filterGeneration;
    return fetchJSON(logsUrl()).then((page) => {
      if (generation !== filterGeneration) return undefined; // filters changed meanwhile
      appendLogs(page.logs);
      lastLogId = page.last_id;
      return page.more ? pollLogs() : undefined;
    });
  }

  const logs = poller(pollLogs);
  function restartLogs() {
    filterGeneration += 1;
    lastLogId = null;
    logBody.replaceChildren();
    byId("log-empty").hidden = false;
    logs.now();
  }
  agentFilter.addEventListener("change", restartLogs);
  levelFilter.addEventListener("change", restartLogs);
  byId("log-filters").addEventListener("submit", (event) => event.preventDefault());

  // --- commands -------------------------------------------------------------------------

  /** "key=value key=value" (a value may hold spaces) or a JSON object -> arguments. */
  function parseArgs(text) {
    const trimmed = text.trim();
    if (!trimmed) return {};
    if (trimmed.startsWith("{")) {
      const value = JSON.parse(trimmed);
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Error("the arguments must be a JSON object");
      }
      return value;
    }
    const args = {};
    for (const pair of trimmed.split(/\s+(?=[A-Za-z_]\w*=)/)) {
      const match = /^([A-Za-z_]\w*)=([\s\S]*)$/.exec(pair);
      if (!match) throw new Error(`expected key=value, not "${pair}"`);
      args[match[1]] = scalar(match[2].trim());
    }
    return args;
  }

  function scalar(text) {
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
    if (text === "true" || text === "false" || text === "null" || text.startsWith('"')) {
      try {
        return JSON.parse(text);
      } catch (error) {
        return text;
      }
    }
    return text;
  }

  const form = byId("command-form");
  const resultBox = byId("command-result");
  const commands = PyROS.commandPanel(resultBox, urls.commandUrl, "waiting for the agent…",
                                        PERIOD);

  if (form) {
    const commandSelect = byId("command-name");
    const argsInput = byId("command-args");
    const sendButton = byId("command-send");
    const hint = () => {
      argsInput.placeholder = HINTS[commandSelect.value] || "no arguments";
    };
    commandSelect.addEventListener("change", hint);
    hint();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const agent = byId("command-agent").value;
      if (!agent) {
        commands.problem("No agent to send it to.");
        return;
      }
      let args;
      try {
        args = parseArgs(argsInput.value);
      } catch (error) {
        commands.problem(`Arguments: ${error.message}`);
        return;
      }
      commands.forget();
      sendButton.disabled = true;
      resultBox.hidden = false;
      resultBox.replaceChildren(el("p", `Sending ${commandSelect.value} to ${agent}…`,
        "muted"));
      fetchJSON(urls.sendUrl.replace("__agent__", encodeURIComponent(agent)), {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(form)},
        body: JSON.stringify({command: commandSelect.value, args, wait: SEND_WAIT}),
      }).then((command) => {
        commands.show(command);
        commands.follow(command);
      }, (error) => commands.problem(error.message))
        .finally(() => {
          sendButton.disabled = false;
        });
    });
  }

  poller(refreshAgents).start();
  logs.start();
})();
