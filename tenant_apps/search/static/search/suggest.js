// Suggestions under the header's search box as one types (people, groups, content).
// Without JavaScript the box is a plain GET form to /search/. No inline script: a
// Content-Security-Policy can forbid it. Results are inserted as text, never as HTML.
(function () {
  "use strict";
  var input = document.getElementById("header-q");
  var list = document.getElementById("header-q-suggestions");
  if (!input || !list || !window.fetch) { return; }
  var url = input.getAttribute("data-suggest-url");
  var timer = null;
  var controller = null;
  var selected = -1;
  // The kinds' names in the reader's language (data-label-* of the box; English defaults).
  var LABELS = {
    person: input.getAttribute("data-label-person") || "person",
    group: input.getAttribute("data-label-group") || "group",
    content: ""
  };
  var NO_NAME = input.getAttribute("data-label-no-name") || "(no name)";

  function close() {
    list.hidden = true;
    list.textContent = "";
    selected = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function render(results) {
    list.textContent = "";
    selected = -1;
    if (!results.length) { close(); return; }
    results.forEach(function (row, index) {
      var li = document.createElement("li");
      li.id = "header-q-option-" + index;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var a = document.createElement("a");
      a.href = row.url;
      a.textContent = row.label || NO_NAME;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = LABELS[row.type] === "" ? (row.kind || "") : (LABELS[row.type] || row.type);
      a.appendChild(kind);
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function fetchSuggestions() {
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    fetch(url + "?q=" + encodeURIComponent(q), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.ok ? response.json() : { results: [] };
    }).then(function (data) {
      if (input.value.trim() === q) { render(data.results || []); }
    }).catch(function () { /* aborted or offline: keep the plain form */ });
  }

  function move(step) {
    var items = list.querySelectorAll("li");
    if (!items.length) { return; }
    if (selected >= 0) { items[selected].setAttribute("aria-selected", "false"); }
    selected = (selected + step + items.length) % items.length;
    items[selected].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", items[selected].id);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { move(1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { move(-1); event.preventDefault(); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && selected >= 0) {
      var link = list.querySelectorAll("li a")[selected];
      if (link) { event.preventDefault(); window.location.href = link.href; }
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 200); });
})();
