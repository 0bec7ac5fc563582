/* The simulated clock's banner (web/simclock.py), kept moving: the simulated time runs
   on from the last reading of /api/clock/ at the clock's speed, and is read again every
   ten seconds (a stepped clock moves only then). Plain JavaScript, no inline script: the
   CSP forbids them. */
(function () {
  "use strict";

  const banner = document.getElementById("sim-clock");
  if (!banner) return;
  const time = document.getElementById("sim-clock-time");
  const speedText = document.getElementById("sim-clock-speed");
  const SYNC = 10000; // ms between two reads of the API
  let origin = Date.parse(banner.dataset.now);
  let speed = Number(banner.dataset.speed) || 0;
  let wallOrigin = Date.now();

  function show() {
    const now = new Date(origin + (Date.now() - wallOrigin) * speed);
    const text = now.toISOString().slice(0, 19).replace("T", " ");
    if (time.textContent !== text) time.textContent = text;
    banner.dataset.shown = text;
  }

  function sync() {
    fetch(banner.dataset.url, {credentials: "same-origin",
                               headers: {Accept: "application/json"}})
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((clock) => {
        if (!clock.simulated) {
          banner.hidden = true;
          return;
        }
        origin = Date.parse(clock.now);
        wallOrigin = Date.now();
        speed = Number(clock.speed) || 0;
        speedText.textContent = speed ? `\u00d7${Number(speed.toFixed(2))}` : "stepped";
        show();
      }, () => {})
      .finally(() => setTimeout(sync, SYNC));
  }

  show();
  setInterval(show, 250);
  setTimeout(sync, SYNC);
})();
