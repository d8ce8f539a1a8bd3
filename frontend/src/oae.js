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

// Confirmations (tenant_apps/institution/confirm.py). A submit button (or form) marked
// data-confirm posts to an action whose first answer is a confirmation page; without
// JavaScript that page is shown. With it, the same first POST is sent with fetch (it changes
// nothing), and the page's question and form are shown in a <dialog> over this page;
// confirming submits that form (confirmed=1) as usual, Cancel or Escape closes the dialog.
// Any other answer is shown as the plain form would have shown it.
function formDataOf(form, submitter) {
  const data = new FormData(form);
  if (submitter && submitter.name) data.append(submitter.name, submitter.value);
  return data;
}

function showConfirmation(doc, asked, opener) {
  const dialog = document.createElement("dialog");
  dialog.className = "confirm-dialog";
  dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
  const article = document.createElement("article");
  const heading = document.createElement("h2");
  heading.id = "confirm-dialog-title";
  heading.textContent = doc.querySelector("main h1")?.textContent || "";
  article.append(heading);
  const explanation = doc.getElementById("confirm-what");
  if (explanation) {
    const text = document.importNode(explanation, true);
    text.id = "confirm-dialog-text";
    dialog.setAttribute("aria-describedby", text.id);
    article.append(text);
  }
  const form = document.importNode(asked, true);
  form.querySelectorAll("a.button").forEach((cancel) => {
    cancel.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.close();
    });
  });
  article.append(form);
  dialog.append(article);
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  form.querySelector("button[type='submit']")?.focus();
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  const submitter = event.submitter;
  if (!(form instanceof HTMLFormElement) || form.dataset.confirmSent === "1") return;
  if (!(submitter?.hasAttribute("data-confirm") || form.hasAttribute("data-confirm"))) return;
  if (typeof HTMLDialogElement !== "function") return; // the confirmation page does it
  event.preventDefault();
  const plainly = () => {
    form.dataset.confirmSent = "1";
    if (submitter) form.requestSubmit(submitter);
    else form.requestSubmit();
  };
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: formDataOf(form, submitter),
      credentials: "same-origin",
      // Not followed: the page it leads to would take the flash message meant for the next
      // page this one loads.
      redirect: "manual",
    });
  } catch {
    plainly();
    return;
  }
  if (response.type === "opaqueredirect") {
    // Done without asking (nothing needed confirming): this page again, with its message.
    window.location.reload();
    return;
  }
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const asked = doc.querySelector("form[data-confirmation]");
  if (response.ok && asked) {
    showConfirmation(doc, asked, submitter);
  } else {
    plainly(); // an error (nothing was done): the plain form shows it
  }
});
