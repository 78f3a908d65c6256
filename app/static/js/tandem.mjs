// Starts GOV.UK Frontend's components, and again inside content that htmx swaps in.
import { initAll } from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

initAll();

if (window.htmx) {
  window.htmx.onLoad((element) => {
    if (element !== document.body) {
      initAll({ scope: element });
    }
  });
}

// htmx requests carry the CSRF token in a header, read fresh for every request.
document.body.addEventListener("htmx:configRequest", (event) => {
  const token = document.body.dataset.csrfToken;
  if (token) {
    event.detail.headers["X-CSRF-Token"] = token;
  }
});
