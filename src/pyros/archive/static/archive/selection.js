// The frame list's selection: "select all", and the download button's count. Loaded as
// a file, not inline, so that the Content-Security-Policy allows no inline script.
(() => {
  const form = document.getElementById("selection");
  if (!form) return;
  const boxes = [...form.querySelectorAll("input[name=id]")];
  const all = document.getElementById("select-all");
  const button = document.getElementById("download-selected");
  const update = () => {
    const chosen = boxes.filter(b => b.checked).length;
    button.disabled = chosen === 0;
    button.textContent = chosen ? `Download selected (${chosen})` : "Download selected";
    all.checked = chosen === boxes.length;
    all.indeterminate = chosen > 0 && chosen < boxes.length;
  };
  boxes.forEach(b => b.addEventListener("change", update));
  all.addEventListener("change", () => { boxes.forEach(b => { b.checked = all.checked; }); update(); });
  update();
})();
