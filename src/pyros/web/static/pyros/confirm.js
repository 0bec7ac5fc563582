// A form with data-confirm-submit="question" is sent only if the user confirms. It
// replaces inline onsubmit="return confirm(...)" handlers, which the
// Content-Security-Policy (script-src 'self', no 'unsafe-inline') would block. (The
// majordome's control buttons use their own data-confirm: they post through the API.)
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirmSubmit : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
}, true);
