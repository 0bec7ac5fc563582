/* What every live page shares: JSON from the API, UTC times and short durations as the
   server writes them, element building, the live-updates dot and the CSRF token. Loaded
   by the base layout before each page's own script, as window.PyROS. Plain JavaScript,
   served locally: the site must work with no internet. */
(function () {
  "use strict";

  /** GET (or POST with ``options``) a JSON answer; a failure throws the API's detail. */
  function fetchJSON(url, options) {
    const init = Object.assign({credentials: "same-origin"}, options || {});
    init.headers = Object.assign({Accept: "application/json"}, init.headers || {});
    return fetch(url, init).then((response) =>
      response.json().catch(() => ({})).then((body) => {
        if (!response.ok) {
          throw new Error(body.detail || `HTTP ${response.status}`);
        }
        return body;
      }));
  }

  /** "2026-11-21T12:00:00.5Z" -> "2026-11-21 12:00:00" (the API speaks UTC). */
  function utc(iso) {
    return iso ? iso.slice(0, 19).replace("T", " ") : "never";
  }

  /** The same short durations as the server's views ("3 h 12 min"). */
  function duration(seconds) {
    if (seconds === null || seconds === undefined) {
      return "\u2013";
    }
    let total = Math.max(0, Math.floor(seconds));
    const days = Math.floor(total / 86400);
    total %= 86400;
    const hours = Math.floor(total / 3600);
    total %= 3600;
    const minutes = Math.floor(total / 60);
    const secs = total % 60;
    if (days) return `${days} d ${hours} h`;
    if (hours) return `${hours} h ${minutes} min`;
    if (minutes) return `${minutes} min ${secs} s`;
    return `${secs} s`;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  /** The dot beside the page title: green while the polls succeed. */
  function setLive(ok, why) {
    const dot = document.getElementById("live-state");
    if (!dot) return;
    dot.classList.toggle("live-bad", !ok);
    dot.title = ok ? "live updates" : `updates failing: ${why}`;
  }

  /** The CSRF token of a form inside ``scope``, else the cookie's. */
  function csrfToken(scope) {
    const input = (scope || document).querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  /** Where a page shows a command it sent, followed until it ends: ``box`` holds the
      result, ``commandUrl`` is the API's URL of command 0, ``waiting`` the words shown
      while the agent works. ``show`` draws a command, ``problem`` an error, ``follow``
      polls an unfinished command, ``forget`` stops following (a new one is sent). */
  function commandPanel(box, commandUrl, waiting, period) {
    let followed = null;

    function show(command) {
      box.hidden = false;
      box.replaceChildren();
      const head = el("p", null, "command-head");
      head.append(el("strong", `#${command.id} ${command.name}`),
        command.recipient ? ` \u2192 ${command.recipient} ` : " ",
        el("span", command.state, `status status-${command.state}`));
      if (!command.done) head.append(" ", el("span", waiting, "muted"));
      box.append(head);
      if (command.result !== null && command.result !== undefined) {
        box.append(el("pre", JSON.stringify(command.result, null, 2), "command-output"));
      }
      if (command.error) box.append(el("p", command.error, "error command-error"));
    }

    function problem(message) {
      box.hidden = false;
      box.replaceChildren(el("p", message, "error command-error"));
    }

    function follow(command) {
      followed = command.id;
      if (command.done) return;
      setTimeout(() => {
        if (followed !== command.id) return;
        fetchJSON(commandUrl.replace(/0\/$/, `${command.id}/`)).then((latest) => {
          if (followed !== command.id) return;
          show(latest);
          follow(latest);
        }, (error) => problem(error.message));
      }, period || 1000);
    }

    return {show, problem, follow, forget: () => { followed = null; }};
  }

  /* A part of a page the server draws (a plan's timeline, the alerts' sky map): fetched
     again from element.dataset.refreshUrl every dataset.period seconds (or
     defaultPeriod) and swapped in when it changed. */
  function refreshPart(element, defaultPeriod) {
    if (!element || !element.dataset.refreshUrl) return;
    let shown = null;
    const period = 1000 * Number(element.dataset.period || defaultPeriod);
    const refresh = () => fetch(element.dataset.refreshUrl, {
      credentials: "same-origin", headers: {Accept: "text/html"},
    }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.text();
    }).then((html) => {
      if (html !== shown) {
        element.innerHTML = html;
        shown = html;
      }
      element.dataset.refreshedAt = new Date().toISOString();
      setLive(true);
    }, (error) => setLive(false, error.message))
      .finally(() => setTimeout(refresh, period));
    setTimeout(refresh, period);
  }

  window.PyROS = {fetchJSON, utc, duration, el, setLive, csrfToken, commandPanel, refreshPart};
})();
