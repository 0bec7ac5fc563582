/* The Schedule pages. A plan's page fetches its plan part again every data-period
   seconds and swaps it in when it changed: the server draws the timeline (it alone has
   the night's sky), so the page never draws it itself. The simulation form says that it
   is planning while the server works, which lasts up to the chosen time limit.
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
})();
