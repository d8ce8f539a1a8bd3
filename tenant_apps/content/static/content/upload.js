// Many files at once into the library (or a group's): chosen in the file field or dropped
// on the upload box, each sent on its own to the API's single upload endpoint (the same
// write path as one file), two at a time, each with its own progress bar and its own
// error. Without JavaScript the box is the one-file form of the "Upload a file" page.
// No inline script (the Content-Security-Policy forbids it); names are inserted as text.
// Its words come translated from the box's data-text-* attributes ({name}-style slots).
(function () {
  "use strict";
  var zone = document.getElementById("upload-zone");
  if (!zone || !window.FormData || !window.XMLHttpRequest) { return; }
  var form = zone.querySelector("form");
  var input = document.getElementById("upload-files");
  var list = document.getElementById("upload-list");
  var summary = document.getElementById("upload-summary");
  var endpoint = zone.getAttribute("data-endpoint");
  var itemUrl = zone.getAttribute("data-item-url");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var AT_ONCE = 2;

  function text(key, values) {
    var words = zone.getAttribute("data-text-" + key) || key;
    return words.replace(/\{(\w+)\}/g, function (slot, name) {
      return values && name in values ? String(values[name]) : slot;
    });
  }
  var queue = [];
  var running = 0;
  var done = 0;
  var failed = 0;
  var total = 0;

  input.multiple = true;
  input.required = false;
  zone.querySelector(".upload-label-one").hidden = true;
  zone.querySelector(".upload-label-many").hidden = false;
  zone.classList.add("upload-enhanced");

  function problemText(xhr) {
    var message = "";
    try {
      var body = JSON.parse(xhr.responseText);
      if (body.errors) {
        Object.keys(body.errors).forEach(function (field) {
          message += (message ? " " : "") + [].concat(body.errors[field]).join(" ");
        });
      }
      message = message || body.detail || body.title || "";
    } catch (e) { /* not a problem document */ }
    return message || text("failed", { status: xhr.status || "-" });
  }

  function updateSummary() {
    var parts = [text("summary", { done: done, total: total })];
    if (failed) { parts.push(text("summary-failed", { failed: failed })); }
    summary.textContent = parts.join(", ") + ".";
  }

  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-row";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", text("progress", { name: file.name }));
    var status = document.createElement("span");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    status.textContent = text("waiting");
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status };
  }

  function send(job) {
    running += 1;
    var data = new FormData();
    data.append("file", job.file, job.file.name);
    data.append("visibility", job.visibility);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", endpoint);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    job.ui.status.textContent = text("uploading");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        job.ui.bar.value = Math.round((event.loaded / event.total) * 100);
      }
    });
    xhr.addEventListener("loadend", function () {
      running -= 1;
      if (xhr.status === 201) {
        var item = JSON.parse(xhr.responseText);
        done += 1;
        job.ui.bar.value = 100;
        job.ui.li.classList.add("upload-done");
        job.ui.status.textContent = "";
        var link = document.createElement("a");
        link.href = itemUrl.replace("ITEM", encodeURIComponent(item.id));
        link.textContent = text("uploaded", { title: item.title });
        job.ui.status.appendChild(link);
      } else {
        failed += 1;
        job.ui.li.classList.add("upload-failed");
        job.ui.bar.removeAttribute("value");
        job.ui.bar.hidden = true;
        job.ui.status.textContent = problemText(xhr);
      }
      updateSummary();
      next();
    });
    xhr.send(data);
  }

  function next() {
    while (running < AT_ONCE && queue.length) { send(queue.shift()); }
  }

  function add(files) {
    var visibility = form.querySelector("[name=visibility]").value;
    Array.prototype.forEach.call(files, function (file) {
      total += 1;
      queue.push({ file: file, visibility: visibility, ui: row(file) });
    });
    updateSummary();
    next();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!input.files.length) {
      summary.textContent = text("none");
      return;
    }
    add(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("upload-over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.remove("upload-over");
    });
  });
  zone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) { add(event.dataTransfer.files); }
  });
})();
