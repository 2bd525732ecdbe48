// culprit web: the little the pages need beyond HTML. Everything works without it (links and
// forms); it adds copy buttons, live filling of command placeholders, answer keys in the flowcharts
// and the upload's progress bar. Only textContent is ever written: nothing from the page or a log
// is parsed as HTML here.
(function () {
  "use strict";

  // Copy buttons: the text of the <code> in the same box.
  function copyText(text, button) {
    var done = function () {
      var old = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = old; }, 1200);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else {
      fallback(text);
      done();
    }
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("button[data-copy]");
    if (!b) return;
    var code = b.parentNode.querySelector("code");
    if (code) copyText(code.textContent, b);
  });

  // Placeholder fields: <namespace>, <service>, <pod>, <host> in every command of the page.
  var fields = document.querySelectorAll("input[data-fill]");
  function fillAll() {
    var values = {};
    fields.forEach(function (f) { if (f.value.trim()) values[f.dataset.fill] = f.value.trim(); });
    document.querySelectorAll("code[data-template]").forEach(function (c) {
      var text = c.dataset.template;
      Object.keys(values).forEach(function (k) { text = text.split("<" + k + ">").join(values[k]); });
      c.textContent = text;
    });
    // Keep the fields in the URL and in the walk's links, so a shared link fills the same.
    var params = new URLSearchParams(location.search);
    fields.forEach(function (f) {
      if (f.value.trim()) params.set(f.name, f.value.trim()); else params.delete(f.name);
    });
    var q = params.toString();
    history.replaceState(null, "", location.pathname + (q ? "?" + q : "") + location.hash);
    document.querySelectorAll("a[data-keep]").forEach(function (a) {
      var u = new URL(a.getAttribute("href"), location.href);
      fields.forEach(function (f) {
        if (f.value.trim()) u.searchParams.set(f.name, f.value.trim()); else u.searchParams.delete(f.name);
      });
      a.setAttribute("href", u.pathname + u.search + u.hash);
    });
  }
  fields.forEach(function (f) { f.addEventListener("input", fillAll); });

  // Flowcharts: keys 1–9 pick an answer, Backspace goes one step back.
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var a = null;
    if (/^[1-9]$/.test(ev.key)) a = document.querySelector('a[data-key="' + ev.key + '"]');
    else if (ev.key === "Backspace") a = document.querySelector("a[data-back]");
    if (a) { ev.preventDefault(); a.click(); }
  });

  // Drop zones (logs and cluster uploads): files dropped on the zone go to its file input, and
  // the names chosen are listed. Without this a dropped file would open in the browser instead.
  document.querySelectorAll(".drop").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    if (!input) return;
    ["dragenter", "dragover"].forEach(function (n) {
      zone.addEventListener(n, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (n) {
      zone.addEventListener(n, function (ev) { ev.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (ev) {
      if (ev.dataTransfer && ev.dataTransfer.files.length) {
        input.files = ev.dataTransfer.files;
        input.dispatchEvent(new Event("change"));
      }
    });
    input.addEventListener("change", function () {
      var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
      var list = zone.querySelector("[data-files]");
      if (list) list.textContent = names.length ? names.join(", ") : "";
    });
  });

  // Other upload forms (the cluster's): over the server's limit, say so at once rather than send
  // the files to be refused.
  document.querySelectorAll("form[data-max][data-too-large]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      var size = 0;
      f.querySelectorAll("input[type=file]").forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (file) { size += file.size; });
      });
      if (size > Number(f.dataset.max || 0)) { ev.preventDefault(); location.assign(f.dataset.tooLarge); }
    });
  });

  // Log upload: a progress bar while the bytes stream in (the server analyses them as they
  // arrive, so the bar is the analysis's progress too).
  var form = document.querySelector("form[data-upload]");
  if (form && window.XMLHttpRequest && window.FormData) {
    var bar = form.querySelector("progress");
    var note = form.querySelector("[data-progress-note]");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      // Over the server's limit: say so at once rather than send gigabytes to be refused.
      var size = 0;
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (f) { size += f.size; });
      });
      var paste = form.querySelector("textarea");
      if (paste) size += paste.value.length;
      var max = Number(form.dataset.max || 0);
      if (max && size > max) { location.assign("/logs/too-large"); return; }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      if (bar) { bar.hidden = false; bar.value = 0; }
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        if (bar) { bar.max = e.total; bar.value = e.loaded; }
        if (note) note.textContent = "Analysed " + Math.round(100 * e.loaded / e.total) + "% (" +
          (e.loaded / 1048576).toFixed(1) + " of " + (e.total / 1048576).toFixed(1) + " MiB)";
      });
      xhr.addEventListener("load", function () {
        if (xhr.status < 400 && xhr.responseURL && xhr.responseURL !== location.href) {
          location.assign(xhr.responseURL);
          return;
        }
        // An error page (413 and the like): show it in place of this one.
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        document.title = doc.title;
        document.body.replaceWith(document.importNode(doc.body, true));
      });
      xhr.addEventListener("error", function () {
        if (note) note.textContent = "The upload failed: the server closed the connection.";
      });
      xhr.send(new FormData(form));
    });
  }
})();
