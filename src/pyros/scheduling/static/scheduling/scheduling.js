/* The Schedule pages. A plan's page fetches its plan part again every data-period
   seconds and swaps it in when it changed: the server draws the timeline (it alone has
   the night's sky), so the page never draws it itself. The simulation form says that it
   is planning while the server works, which lasts up to the chosen time limit.
   Plain JavaScript, served locally: the site must work with no internet. */
(function () {
  "use strict";

  const {setLive} = window.PyROS;

  const plan = document.getElementById("plan");
  if (plan && plan.dataset.refreshUrl) {
    let shown = null;
    const refresh = () => fetch(plan.dataset.refreshUrl, {
      credentials: "same-origin", headers: {Accept: "text/html"},
    }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.text();
    }).then((html) => {
      if (html !== shown) {
        plan.innerHTML = html;
        shown = html;
      }
      plan.dataset.refreshedAt = new Date().toISOString();
      setLive(true);
    }, (error) => setLive(false, error.message))
      .finally(() => setTimeout(refresh, 1000 * Number(plan.dataset.period || 30)));
    setTimeout(refresh, 1000 * Number(plan.dataset.period || 30));
  }

  const form = document.getElementById("simulate-form");
  if (form) {
    form.addEventListener("submit", () => {
      const busy = document.getElementById("planning");
      if (busy) busy.hidden = false;
      const button = form.querySelector("button[type=submit]");
      // After this event the browser has already taken the form's data: disabling the
      // button only stops a second submission.
      if (button) setTimeout(() => { button.disabled = true; }, 0);
    });
  }
})();
