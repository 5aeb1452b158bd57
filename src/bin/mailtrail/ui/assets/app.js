// mailtrail ui: small conveniences only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // A changed filter applies at once.
  for (const select of document.querySelectorAll("form.filters select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // A clicked URL is shown as text; its button copies it (never opens it).
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = "copied";
      } catch (_) {
        const range = document.createRange();
        range.selectNodeContents(button.previousElementSibling || button);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "selected: copy it";
      }
    });
  }
  // `/` focuses the search box.
  document.addEventListener("keydown", (event) => {
    const box = document.querySelector("header.top input[type=search]");
    if (event.key === "/" && box && document.activeElement !== box && !(document.activeElement instanceof HTMLInputElement)) {
      event.preventDefault();
      box.focus();
    }
  });
});
