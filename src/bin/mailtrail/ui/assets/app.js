// mailtrail ui: small conveniences only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // A changed filter applies at once.
  for (const select of document.querySelectorAll("form.filters select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
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
