// The Calibration & Health page: one span of the trends at a time (30 or 365 days).
// Without this script both spans are shown, one under the other.
(function () {
  "use strict";
  const switcher = document.getElementById("span-switch");
  if (!switcher) { return; }
  const sections = document.querySelectorAll(".trend-span");
  function show(span) {
    sections.forEach(function (section) {
      section.classList.toggle("js-hidden", section.dataset.span !== span);
    });
    switcher.querySelectorAll("button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.span === span));
    });
  }
  switcher.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-span]");
    if (button) { show(button.dataset.span); }
  });
  switcher.hidden = false;
  const first = switcher.querySelector("button[data-span]");
  if (first) { show(first.dataset.span); }
}());
