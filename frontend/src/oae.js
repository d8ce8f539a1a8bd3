// The product's one script: htmx (server-rendered fragments: the people picker's
// suggestions) and the few behaviours templates ask for with data- attributes. Loaded with
// `defer` from base.html; no inline script anywhere (the Content-Security-Policy allows
// scripts from /static/ only). Every page works without it.
import htmx from "htmx.org";

window.htmx = htmx;

function onReady(callback) {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", callback);
  } else {
    callback();
  }
}

// A suspended institution: forms that would write are disabled (the server refuses
// them anyway, with a 423; this keeps people from typing into them first).
function disableWritesWhenReadOnly() {
  if (!document.body.classList.contains("read-only")) return;
  document.querySelectorAll("main form[method='post' i]").forEach((form) => {
    if (form.matches("[data-allowed-when-read-only]")) return;
    form.querySelectorAll("input, select, textarea, button").forEach((control) => {
      control.disabled = true;
    });
    form.setAttribute("aria-disabled", "true");
  });
}

onReady(disableWritesWhenReadOnly);
