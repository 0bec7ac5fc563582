/* The Webcams page: each camera's image is loaded again every data-refresh seconds (a
   new query string, so no cache serves an old frame), swapped in only once it has
   loaded, so the page never shows a blank frame. Plain JavaScript, no inline script. */
(function () {
  "use strict";

  const {setLive} = window.PyROS;

  function keepLoading(figure) {
    const shown = figure.querySelector("img.webcam-image");
    const at = figure.querySelector(".webcam-at");
    const period = 1000 * Math.max(2, Number(figure.dataset.refresh) || 10);
    let count = 0;

    function load() {
      const next = new Image();
      const base = shown.dataset.src;
      count += 1;
      next.onload = () => {
        shown.src = next.src;
        shown.dataset.loads = String(count);
        at.textContent = `loaded ${new Date().toISOString().slice(11, 19)} UTC, wall clock`;
        setLive(true);
        setTimeout(load, period);
      };
      next.onerror = () => {
        setLive(false, "an image did not load");
        at.textContent = "no image now";
        setTimeout(load, period);
      };
      next.src = `${base}${base.includes("?") ? "&" : "?"}t=${Date.now()}`;
    }

    setTimeout(load, period);
  }

  document.querySelectorAll("figure.webcam").forEach(keepLoading);
})();
