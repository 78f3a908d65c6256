// Runs first thing in <body>: tells GOV.UK Frontend's CSS and JS that modules are supported.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
