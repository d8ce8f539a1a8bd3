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

// The people and group picker (tenant_apps/groups/picker.py): a suggestion ticked moves to
// the field's chosen list and the typed text is cleared, ready for the next name.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.closest(".suggestions")) return;
  const picker = box.closest("[data-picker]");
  if (!picker || !box.checked) return;
  const chosen = picker.querySelector(".chosen");
  const text = picker.querySelector("input[type='text']");
  if (box.type === "radio") chosen.replaceChildren();
  chosen.append(box.closest("li"));
  picker.querySelector(".suggestions").replaceChildren();
  if (text) {
    text.value = "";
    text.focus();
  }
});

// Unticking a chosen person removes them from the list.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.closest(".chosen") || box.checked) return;
  box.closest("li").remove();
});
