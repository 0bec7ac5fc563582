/* The Schedule pages. A plan's page fetches its plan part again every data-period
   seconds and swaps it in when it changed: the server draws the timeline (it alone has
   the night's sky), so the page never draws it itself. A simulation's page polls its
   job's state every data-poll seconds and reloads itself once the job has ended, when
   the server draws the plan.
   Plain JavaScript, served locally: the site must work with no internet. */
(function () {
  "use strict";

  window.PyROS.refreshPart(document.getElementById("plan"), 30);

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

  const job = document.getElementById("job-progress");
  if (job) {
    const every = 1000 * (Number(job.dataset.poll) || 1);
    const show = (id, text) => {
      const element = document.getElementById(id);
      if (element) element.textContent = text;
    };
    const look = () => {
      fetch(job.dataset.url, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then((response) => response.ok ? response.json() : Promise.reject(response.status))
        .then((state) => {
          if (state.state === "DONE" || state.state === "FAILED") {
            window.location.reload();
            return;
          }
          const percent = Math.round(100 * state.progress);
          show("job-percent", String(percent));
          show("job-state", state.state === "QUEUED"
            ? "queued" + (state.queued_ahead ? ", " + state.queued_ahead + " ahead" : "")
            : "planning");
          const bar = document.getElementById("job-bar");
          if (bar) bar.value = percent;
          setTimeout(look, every);
        })
        .catch(() => setTimeout(look, 5 * every));
    };
    setTimeout(look, every);
  }
})();
