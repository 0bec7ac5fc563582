/* The Alerts pages. The list (and an event's page) fetch their live part again every
   data-period seconds and swap it in when it changed: the server draws the sky map (it
   alone has tonight's sky), so the page never draws it itself. The Strategy form
   disables its buttons once sent, so that one click makes one version.
   Plain JavaScript, served locally: the site must work with no internet. */
(function () {
  "use strict";

  const {setLive} = window.PyROS;

  const live = document.getElementById("live");
  if (live && live.dataset.refreshUrl) {
    let shown = null;
    const period = 1000 * Number(live.dataset.period || 15);
    const refresh = () => fetch(live.dataset.refreshUrl, {
      credentials: "same-origin", headers: {Accept: "text/html"},
    }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.text();
    }).then((html) => {
      if (html !== shown) {
        live.innerHTML = html;
        shown = html;
      }
      live.dataset.refreshedAt = new Date().toISOString();
      setLive(true);
    }, (error) => setLive(false, error.message))
      .finally(() => setTimeout(refresh, period));
    setTimeout(refresh, period);
  }

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
