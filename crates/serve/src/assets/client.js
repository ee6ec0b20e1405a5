// nashr serve: live reload, the error overlay and translation marks. Injected by the preview
// server into every HTML page it serves; `nashr build` output never contains it.
(function () {
  "use strict";
  var cfg = window.__nashr || {};
  var marksOn = !!cfg.marks;

  // Live reload: the server sends its state when we connect and after every change.
  function connect() {
    var es = new EventSource("/_nashr/events");
    es.addEventListener("state", function (e) {
      var s;
      try { s = JSON.parse(e.data); } catch (err) { return; }
      showOverlay(s.overlay || "");
      if (s.site_version !== cfg.site_version) {
        es.close();
        location.reload();
      }
    });
    es.onerror = function () {
      // The server restarts or the connection dropped: EventSource retries by itself.
    };
  }

  function showOverlay(html) {
    var old = document.getElementById("nashr-overlay");
    if (old) old.remove();
    if (!html) return;
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var overlay = holder.firstElementChild;
    if (overlay) document.body.appendChild(overlay);
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.closest("#nashr-overlay-close")) {
      var o = document.getElementById("nashr-overlay");
      if (o) o.remove();
      return;
    }
    var item = t.closest("#nashr-panel li[data-id]");
    if (item) {
      var el = document.querySelector('[data-nashr-mark][data-id="' + CSS.escape(item.dataset.id) + '"]');
      if (el) {
        el.scrollIntoView({ block: "center", behavior: "smooth" });
        el.classList.add("nashr-flash");
        setTimeout(function () { el.classList.remove("nashr-flash"); }, 1200);
      }
      return;
    }
    // With marks on, links inside the site keep them on.
    var a = t.closest("a[href]");
    if (marksOn && a && !e.defaultPrevented && a.origin === location.origin && !a.pathname.startsWith("/_nashr/")) {
      var url = new URL(a.href);
      url.searchParams.set("marks", "1");
      a.href = url.toString();
    }
  });

  var toggle = document.getElementById("nashr-marks-toggle");
  if (toggle) {
    toggle.addEventListener("change", function () {
      var url = new URL(location.href);
      if (toggle.checked) url.searchParams.set("marks", "1");
      else url.searchParams.delete("marks");
      location.href = url.toString();
    });
  }

  // UI messages (template texts) cannot carry a tag in attributes, so the server lists them
  // and they are highlighted here, where their text appears as text.
  function markUiMessages() {
    var ui = (cfg.ui_marks || []).filter(function (m) { return m.text && m.text.length > 1; });
    if (!ui.length) return;
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var parent = node.parentElement;
      if (!parent || parent.closest("#nashr-panel, #nashr-bar, #nashr-overlay, script, style, [data-nashr-mark]")) return;
      var text = node.nodeValue.trim();
      var m = ui.find(function (m) { return m.text.trim() === text; });
      if (!m) return;
      var span = document.createElement("span");
      span.dataset.nashrMark = m.kind;
      span.dataset.id = m.id;
      span.dataset.file = m.file;
      if (m.line) span.dataset.line = m.line;
      span.dataset.sourceFile = m.source_file;
      if (m.source_line) span.dataset.sourceLine = m.source_line;
      span.dataset.source = m.source;
      span.dataset.ui = "1";
      parent.replaceChild(span, node);
      span.appendChild(node);
    });
  }

  // Hovering a mark shows what it is and where to fix it.
  var tip;
  function showTip(el) {
    if (!tip) {
      tip = document.createElement("div");
      tip.id = "nashr-tip";
      tip.setAttribute("dir", "ltr");
      document.body.appendChild(tip);
    }
    var d = el.dataset;
    var where = d.file + (d.line ? ":" + d.line : " (not there yet)");
    var src = d.sourceFile ? d.sourceFile + (d.sourceLine ? ":" + d.sourceLine : "") : "";
    tip.textContent = "";
    var head = document.createElement("div");
    head.className = "nashr-tip-head";
    head.textContent = d.nashrMark + " · " + d.id;
    var loc = document.createElement("div");
    loc.className = "nashr-tip-loc";
    loc.textContent = "edit " + where;
    tip.appendChild(head);
    tip.appendChild(loc);
    if (d.source) {
      var s = document.createElement("div");
      s.className = "nashr-tip-src";
      s.textContent = (src ? src + ": " : "") + d.source;
      s.setAttribute("dir", "auto");
      tip.appendChild(s);
    }
    var r = el.getBoundingClientRect();
    tip.style.top = (window.scrollY + r.bottom + 6) + "px";
    tip.style.left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - 440)) + "px";
    tip.hidden = false;
  }
  document.addEventListener("mouseover", function (e) {
    var el = e.target instanceof Element && e.target.closest("[data-nashr-mark]");
    if (el) showTip(el);
    else if (tip) tip.hidden = true;
  });

  if (marksOn) markUiMessages();
  if (document.getElementById("nashr-panel")) document.body.classList.add("nashr-with-panel");
  connect();
})();
