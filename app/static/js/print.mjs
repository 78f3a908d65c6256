// The "Print" button of a printable page: shown only when this script runs (without it, the
// browser's own Print command prints the page just the same).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
