/* The Alerts pages. The list (and an event's page) fetch their live part again every
   data-period seconds and swap it in when it changed: the server draws the sky map (it
   alone has tonight's sky), so the page never draws it itself. The Strategy form
   disables its buttons once sent, so that one click makes one version.
   Plain JavaScript, served locally: the site must work with no internet. */
(function () {
  "use strict";

  window.PyROS.refreshPart(document.getElementById("live"), 15);

  const form = document.getElementById("strategy-form");
  if (form) {
    form.addEventListener("submit", () => {
      // After this event the browser has already taken the form's data (and the button
      // pressed): disabling the buttons only stops a second submission.
      setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => {
        b.disabled = true;
      }), 0);
    });
  }
})();
