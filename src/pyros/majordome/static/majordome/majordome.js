/* The majordome's part of the Observatory page and the Observatory control page: the
   server draws both (majordome/views.py) and they are fetched again every few seconds
   (PyROS.refreshPart), so the state card and the buttons are drawn in one place.

   A button asks its question (window.confirm), then posts the action to the API, which
   checks the profile and the state again; the answer, or the reason for a refusal, is
   shown above the part, which is fetched again at once. Without JavaScript the same
   forms post to the page, which asks on a page of its own. Plain JavaScript, served
   locally: the site must work with no internet. */
(function () {
  "use strict";

  const {fetchJSON, el, csrfToken, setLive} = window.PyROS;
  const PERIOD = 5; // seconds, when the element does not say

  window.PyROS.refreshPart(document.getElementById("majordome"), PERIOD);

  const root = document.getElementById("control");
  if (!root) {
    return;
  }
  window.PyROS.refreshPart(root, PERIOD);
  const result = document.getElementById("control-result");

  function say(text, ok) {
    const list = el("ul", null, "messages");
    list.append(el("li", text, ok ? "msg-success" : "msg-error"));
    result.replaceChildren(list);
  }

  /** Draw the part now rather than at the next refresh: the switch just changed. */
  function redraw() {
    return fetch(root.dataset.refreshUrl, {
      credentials: "same-origin", headers: {Accept: "text/html"},
    }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.text();
    }).then((html) => {
      root.innerHTML = html;
      setLive(true);
    }, (error) => setLive(false, error.message));
  }

  function take(form) {
    if (!window.confirm(form.dataset.confirm)) return;
    form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    say(`Sending ${form.dataset.label}\u2026`, true);
    fetchJSON(root.dataset.apiUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(form)},
      body: JSON.stringify({action: form.dataset.action}),
    }).then((answer) => say(answer.message, true), (error) => say(error.message, false))
      .finally(redraw);
  }

  // Delegated: the forms are replaced at every refresh.
  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form.control-form");
    if (!form) return;
    event.preventDefault();
    take(form);
  });
})();
