// A form with data-confirm="question" is sent only if the user confirms. It replaces
// inline onsubmit="return confirm(...)" handlers, which the Content-Security-Policy
// (script-src 'self', no 'unsafe-inline') would block.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
}, true);
