// The view script: applies the render core's patch ops to the DOM, draws the
// chrome (navigation bar, tabBar, toast, loading, modals, consent, the error
// overlay) and sends events back. No mini program code ever runs here: the
// mini program's JS runs in the logic layer, and this page holds only what
// the render core produced. Every message names its page's IPC key.
(function () {
  "use strict";
  const post = window.ipc && window.ipc.postMessage;
  if (typeof post !== "function") return;
  const send = (m) => post(JSON.stringify(m));
  // The chrome's elements, found once: nothing a page renders can stand in
  // for them later (pages live in shadow roots, so their ids never clash).
  const chromeEl = {};
  for (const id of ["mp-nav", "mp-back", "mp-title", "mp-pages", "mp-tabs", "mp-toast", "mp-loading", "mp-modal", "mp-overlay"]) {
    chromeEl[id] = document.getElementById(id);
  }
  const $ = (id) => chromeEl[id];
  const pagesEl = $("mp-pages");
  const pages = new Map(); // page id -> {el, nodes: Map<node id, Element>, chrome, key}
  let stack = [];
  let queue = Promise.resolve();
  let pending = 0;
  let lastEvent = 0;
  let painted = false;

  const TAGS = {
    view: "div", text: "span", button: "button", image: "img", input: "input",
    textarea: "textarea", form: "form", label: "label", "scroll-view": "div",
    swiper: "div", "swiper-item": "div", icon: "span", progress: "progress",
    switch: "input", checkbox: "input", radio: "input", slider: "input",
    "rich-text": "div", navigator: "div", picker: "div", block: "div", canvas: "canvas",
  };
  const INPUT_TYPES = { text: "text", number: "number", digit: "number", idcard: "text", password: "password" };
  const PLAIN = new Set(["id", "placeholder", "maxlength", "disabled", "hidden", "title", "alt", "role", "min", "max", "step", "name"]);

  function top() { return stack.length ? pages.get(stack[stack.length - 1]) : null; }

  function assetUrl(src) {
    // Bundle paths only: absolute URLs and other schemes never load.
    if (typeof src !== "string" || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(src) || src.startsWith("//")) return null;
    const route = top() ? top().chrome.route : "";
    const base = location.origin + "/" + route.split("/").slice(0, -1).join("/") + "/";
    try {
      const u = new URL(src.startsWith("/") ? src : src, src.startsWith("/") ? location.origin + "/" : base);
      return u.origin === location.origin ? u.href : null;
    } catch (_) { return null; }
  }

  function setAttr(el, tag, name, value) {
    // A custom component's host (its `is`): no box of its own, as Alipay's
    // virtualHost; the component's nodes lay out as its parent's children.
    if (name === "is") { el.classList.add("mp-host"); el.setAttribute("data-mp-is", value); return; }
    if (name === "class") { el.className = "mp-" + tag + (value ? " " + value : ""); return; }
    if (name === "style") { el.style.cssText = value; return; }
    if (name.startsWith("data-")) { el.setAttribute(name, value); return; }
    if (/^(on|catch)[A-Z]/.test(name)) { el.setAttribute("data-mp-" + name.toLowerCase(), "1"); return; }
    if (name === "src" && tag === "image") { const u = assetUrl(value); if (u) el.src = u; else el.removeAttribute("src"); return; }
    if (name === "value") { if ("value" in el && el.type !== "checkbox") el.value = value; else el.setAttribute("data-value", value); return; }
    if (name === "checked") { if (el.type === "checkbox" || el.type === "radio") el.checked = value !== "false" && value !== ""; return; }
    if (name === "type" && tag === "input") { el.type = INPUT_TYPES[value] || "text"; return; }
    if (name === "percent" && tag === "progress") { el.max = 100; el.value = Number(value) || 0; return; }
    if (PLAIN.has(name) || name.startsWith("aria-")) { el.setAttribute(name, value); }
  }

  function removeAttr(el, tag, name) {
    if (name === "class") { el.className = "mp-" + tag; return; }
    if (name === "style") { el.style.cssText = ""; return; }
    if (/^(on|catch)[A-Z]/.test(name)) { el.removeAttribute("data-mp-" + name.toLowerCase()); return; }
    if (name === "src") { el.removeAttribute("src"); return; }
    if (PLAIN.has(name) || name.startsWith("data-") || name.startsWith("aria-")) el.removeAttribute(name);
  }

  function build(page, n) {
    if (n.tag === "#text") {
      const t = document.createTextNode(n.text || "");
      t.__mp = n.id;
      page.nodes.set(n.id, t);
      return t;
    }
    const tag = String(n.tag);
    const el = document.createElement(TAGS[tag] || "div");
    el.className = "mp-" + tag;
    if (tag === "switch" || tag === "checkbox") el.type = "checkbox";
    if (tag === "radio") el.type = "radio";
    if (tag === "slider") el.type = "range";
    if (tag === "button") el.type = "button";
    el.__mp = n.id;
    page.nodes.set(n.id, el);
    const attrs = n.attrs || {};
    for (const k of Object.keys(attrs)) setAttr(el, tag, k, attrs[k]);
    el.__tag = tag;
    for (const c of n.children || []) el.appendChild(build(page, c));
    return el;
  }

  // Text nodes carry their id too, so removing one is a lookup, not a scan
  // of every node on the page.
  function forget(page, node) {
    if (node.__mp !== undefined) page.nodes.delete(node.__mp);
    for (const c of Array.from(node.childNodes)) forget(page, c);
  }

  // Acknowledged whatever happens, so the host never waits on a lost patch.
  function applyOps(pageId, ops, seq) {
    try { patch(pageId, ops); } finally { ack(pageId, seq); }
  }

  // Each op is an array led by its number (see CompactOps in surface.rs):
  // 0 insert [parent, index, node], 1 remove [id], 2 move [id, parent, index],
  // 3 setAttr [id, name, value], 4 removeAttr [id, name], 5 setText [id, text].
  function patch(pageId, ops) {
    const page = pages.get(pageId);
    if (!page) return;
    const nodes = page.nodes;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      switch (op[0]) {
        case 5: {
          const n = nodes.get(op[1]);
          if (n) n.data = op[2];
          break;
        }
        case 3: {
          const n = nodes.get(op[1]);
          if (n && n.nodeType === 1) setAttr(n, n.__tag, op[2], op[3]);
          break;
        }
        case 4: {
          const n = nodes.get(op[1]);
          if (n && n.nodeType === 1) removeAttr(n, n.__tag, op[2]);
          break;
        }
        case 0: {
          const parent = nodes.get(op[1]);
          if (!parent) break;
          const node = build(page, op[3]);
          parent.insertBefore(node, parent.childNodes[op[2]] || null);
          break;
        }
        case 1: {
          const n = nodes.get(op[1]);
          if (n) { forget(page, n); n.remove(); }
          break;
        }
        case 2: {
          const n = nodes.get(op[1]), parent = nodes.get(op[2]);
          if (!n || !parent) break;
          n.remove();
          parent.insertBefore(n, parent.childNodes[op[3]] || null);
          break;
        }
      }
    }
  }

  function ack(pageId, seq) {
    const m = { t: "applied", page: pageId, seq: seq };
    if (lastEvent) { m.rtt = performance.now() - lastEvent; lastEvent = 0; }
    send(m);
    if (pageId === stack[stack.length - 1]) markPainted();
  }

  // The first page is on screen: two frames after its first patch, or after
  // an error shown in its place.
  function markPainted() {
    if (painted) return;
    painted = true;
    requestAnimationFrame(() => requestAnimationFrame(() => send({ t: "painted" })));
  }

  // Everything the host asks goes through one queue, so a pulled patch is
  // applied in order with the pushed ones around it.
  function enqueue(fn) {
    if (pending === 0) { try { fn(); } catch (e) { send({ t: "viewError", message: String(e) }); } return; }
    queue = queue.then(fn).catch((e) => send({ t: "viewError", message: String(e) }));
  }

  // Only plain colours: a title bar never shows a mini program's image.
  function plainColour(c) {
    return typeof c === "string" && /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(c) ? c : "";
  }

  // White text on a dark title bar, black on a light one.
  function readableOn(colour) {
    const m = /^#?([0-9a-f]{6})$/i.exec(colour || "");
    if (!m) return "";
    const n = parseInt(m[1], 16);
    const lum = 0.2126 * (n >> 16) + 0.7152 * ((n >> 8) & 255) + 0.0722 * (n & 255);
    return lum < 140 ? "#fff" : "#111";
  }

  function drawChrome() {
    const p = top();
    const nav = $("mp-nav"), back = $("mp-back"), tabs = $("mp-tabs");
    if (!p) { $("mp-title").textContent = ""; back.hidden = true; tabs.hidden = true; return; }
    $("mp-title").textContent = p.chrome.title || "";
    const colour = plainColour(p.chrome.titleBarColor);
    nav.style.background = colour;
    nav.style.color = readableOn(colour);
    back.hidden = !p.chrome.canGoBack;
    tabs.textContent = "";
    tabs.hidden = !(p.chrome.tabs && p.chrome.tabs.length);
    const tc = p.chrome.tabColors || {};
    tabs.style.background = plainColour(tc.background);
    for (const t of p.chrome.tabs || []) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t.name || t.pagePath;
      b.dataset.path = t.pagePath;
      if (t.selected) b.className = "mp-selected";
      b.style.color = plainColour(t.selected ? tc.selected : tc.text);
      tabs.appendChild(b);
    }
    p.el.style.background = plainColour(p.chrome.backgroundColor);
    for (const id of stack) pages.get(id).el.hidden = id !== stack[stack.length - 1];
  }

  function pageMsg(t, extra) {
    const p = top();
    if (!p) return;
    send(Object.assign({ t: t, page: stack[stack.length - 1], key: p.key }, extra || {}));
  }

  // Events: taps, input, change and submit, reported at the node they hit.
  function nodeOf(el, body) {
    for (let n = el; n && n !== body; n = n.parentNode) if (n.__mp !== undefined) return n;
    return null;
  }
  // Events are listened for inside each page's shadow root, and reported only
  // for the page on top.
  function listen(pageId, root, body) {
    const report = (kind, el, detail) => {
      if (stack[stack.length - 1] !== pageId) return;
      const n = nodeOf(el, body);
      if (!n) return;
      lastEvent = performance.now();
      pageMsg("event", { kind: kind, target: n.__mp, detail: detail });
    };
    root.addEventListener("click", (e) => {
      const t = e.target;
      if ((t.type === "checkbox" || t.type === "radio") && t.tagName === "INPUT") return;
      report("tap", t, { x: e.clientX, y: e.clientY });
    }, true);
    root.addEventListener("input", (e) => {
      const t = e.target;
      if (t.type === "range") return;
      report("input", t, { value: t.value });
    }, true);
    root.addEventListener("change", (e) => {
      const t = e.target;
      const value = t.type === "checkbox" || t.type === "radio" ? t.checked : t.value;
      if (t.tagName === "INPUT" && t.type !== "checkbox" && t.type !== "radio" && t.type !== "range") return;
      report("change", t, { value: value });
    }, true);
    root.addEventListener("submit", (e) => { e.preventDefault(); report("submit", e.target, { value: {} }); }, true);
    // Touches, as Alipay's touch events carry them; a desktop window's mouse
    // (no touch screen) acts as one finger. Moves and scrolls are sent at
    // most once a frame.
    const points = (list) => Array.from(list || []).map((t) => ({
      identifier: t.identifier, clientX: t.clientX, clientY: t.clientY, pageX: t.pageX, pageY: t.pageY, x: t.clientX, y: t.clientY,
    }));
    const framed = new Map();
    const once = (key, f) => {
      if (framed.has(key)) { framed.set(key, f); return; }
      framed.set(key, f);
      requestAnimationFrame(() => { const g = framed.get(key); framed.delete(key); g(); });
    };
    const touch = (kind, e) => report(kind, e.target, { touches: points(e.touches), changedTouches: points(e.changedTouches) });
    root.addEventListener("touchstart", (e) => touch("touchStart", e), { capture: true, passive: true });
    root.addEventListener("touchmove", (e) => once("touchMove", () => touch("touchMove", e)), { capture: true, passive: true });
    root.addEventListener("touchend", (e) => touch("touchEnd", e), { capture: true, passive: true });
    root.addEventListener("touchcancel", (e) => touch("touchCancel", e), { capture: true, passive: true });
    if (!("ontouchstart" in window)) {
      let down = null;
      const mouse = (kind, e, pressed) => {
        const p = [{ identifier: 0, clientX: e.clientX, clientY: e.clientY, pageX: e.pageX, pageY: e.pageY, x: e.clientX, y: e.clientY }];
        report(kind, down, { touches: pressed ? p : [], changedTouches: p });
      };
      root.addEventListener("mousedown", (e) => { down = e.target; mouse("touchStart", e, true); }, true);
      root.addEventListener("mousemove", (e) => { if (down) once("touchMove", () => down && mouse("touchMove", e, true)); }, true);
      window.addEventListener("mouseup", (e) => { if (down) { mouse("touchEnd", e, false); down = null; } }, true);
    }
    const field = (t) => t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA");
    root.addEventListener("focusin", (e) => { if (field(e.target)) report("focus", e.target, { value: e.target.value }); }, true);
    root.addEventListener("focusout", (e) => { if (field(e.target)) report("blur", e.target, { value: e.target.value }); }, true);
    root.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.target.tagName === "INPUT") report("confirm", e.target, { value: e.target.value });
    }, true);
    for (const [dom, kind] of [["animationstart", "animationStart"], ["animationiteration", "animationIteration"], ["animationend", "animationEnd"]]) {
      root.addEventListener(dom, (e) => report(kind, e.target, { animationName: e.animationName, elapsedTime: e.elapsedTime }), true);
    }
    root.addEventListener("transitionend", (e) => report("transitionEnd", e.target, { propertyName: e.propertyName, elapsedTime: e.elapsedTime }), true);
    root.addEventListener("scroll", (e) => {
      const t = e.target;
      once("scroll", () => report("scroll", t, { scrollTop: t.scrollTop, scrollLeft: t.scrollLeft, scrollHeight: t.scrollHeight, scrollWidth: t.scrollWidth }));
    }, true);
  }
  pagesEl.addEventListener("scroll", (e) => {
    const el = e.target;
    if (!el.classList || !el.classList.contains("mp-page") || el.hidden) return;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - 2) {
      if (!el.__bottom) { el.__bottom = true; pageMsg("reachBottom"); }
    } else el.__bottom = false;
  }, true);
  $("mp-back").addEventListener("click", () => pageMsg("back"));
  $("mp-tabs").addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (b && !b.classList.contains("mp-selected")) pageMsg("tab", { path: b.dataset.path });
  });
  document.addEventListener("keydown", (e) => {
    const p = top();
    if ($("mp-modal").hidden && p && p.chrome.canGoBack &&
        (e.key === "Escape" || e.key === "BrowserBack" || (e.altKey && e.key === "ArrowLeft"))) {
      e.preventDefault();
      pageMsg("back");
    }
  });
  $("mp-overlay").addEventListener("click", () => { $("mp-overlay").hidden = true; });

  // UI requests: answered by the user, replied with the request's id.
  let toastTimer = 0;
  function modal(req, id, uiKey) {
    const m = $("mp-modal"), sheet = m.querySelector(".mp-sheet");
    sheet.textContent = "";
    m.classList.toggle("mp-bottom", req.ui === "actionSheet");
    const reply = (value) => { m.hidden = true; sheet.textContent = ""; send({ t: "ui", id: id, key: uiKey, reply: value }); };
    const h = (tag, text) => { const e = document.createElement(tag); e.textContent = text; sheet.appendChild(e); return e; };
    const buttons = (list) => {
      const row = document.createElement("div");
      row.className = "mp-buttons";
      for (const [label, value, cls] of list) {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = label; if (cls) b.className = cls;
        b.addEventListener("click", () => reply(typeof value === "function" ? value() : value));
        row.appendChild(b);
      }
      sheet.appendChild(row);
    };
    if (req.ui === "consent" || req.ui === "payment") {
      // The host asks, not the mini program: marked, and not clickable for a
      // moment so a tap meant for the page cannot land on Allow.
      sheet.classList.add("mp-consent");
      h("div", req.ui === "payment" ? "Wallet payment" : "Wallet permission request").className = "mp-host";
    } else sheet.classList.remove("mp-consent");
    if (req.title) h("h2", req.title);
    if (req.ui === "alert") { h("p", req.content); buttons([[req.button_text || "OK", { done: true }, "mp-ok"]]); }
    else if (req.ui === "confirm") { h("p", req.content); buttons([[req.cancel_text || "Cancel", { confirmed: false }, "mp-cancel"], [req.confirm_text || "OK", { confirmed: true }, "mp-ok"]]); }
    else if (req.ui === "consent" || req.ui === "payment") {
      h("p", req.content);
      const pay = req.ui === "payment";
      buttons([[pay ? "Cancel" : "Deny", { confirmed: false }, "mp-cancel"], [pay ? "Pay" : "Allow", { confirmed: true }, "mp-ok"]]);
      const bs = sheet.querySelectorAll("button");
      for (const b of bs) b.disabled = true;
      setTimeout(() => { for (const b of bs) b.disabled = false; }, 600);
    }
    else if (req.ui === "prompt") {
      h("p", req.message);
      const i = document.createElement("input"); i.placeholder = req.placeholder || ""; sheet.appendChild(i);
      buttons([["Cancel", { text: null }, "mp-cancel"], ["OK", () => ({ text: i.value }), "mp-ok"]]);
    } else if (req.ui === "actionSheet") {
      const list = document.createElement("div"); list.className = "mp-list";
      (req.items || []).forEach((item, idx) => {
        const b = document.createElement("button"); b.type = "button"; b.textContent = item;
        b.addEventListener("click", () => reply({ choice: idx })); list.appendChild(b);
      });
      sheet.appendChild(list);
      buttons([["Cancel", { choice: null }, "mp-cancel"]]);
    } else { reply({ done: true }); return; }
    m.hidden = false;
  }

  const api = {
    page(id, chrome, cssUrl, key) {
      enqueue(() => {
        // Each page in its own shadow root: its ACSS styles its own nodes and
        // nothing of the chrome, and its ids and names never reach the document.
        const el = document.createElement("section");
        el.className = "mp-page";
        const root = el.attachShadow({ mode: "open" });
        for (const href of ["/__mpkit/components.css", cssUrl]) {
          const link = document.createElement("link");
          link.rel = "stylesheet"; link.href = href;
          root.appendChild(link);
        }
        const body = document.createElement("div");
        body.className = "mp-body";
        body.__mp = 0;
        root.appendChild(body);
        listen(id, root, body);
        pagesEl.appendChild(el);
        pages.set(id, { el: el, nodes: new Map([[0, body]]), chrome: chrome, key: key });
        stack.push(id);
        drawChrome();
      });
    },
    close(id) {
      enqueue(() => {
        const p = pages.get(id);
        if (!p) return;
        p.el.remove();
        pages.delete(id);
        stack = stack.filter((x) => x !== id);
        drawChrome();
      });
    },
    // A pushed patch arrives as `__mpkit.patch=[page,ops,seq];__mpkit.patch=0`
    // (push_script_head in msg.rs): JSON assigned, which JavaScriptCore
    // reads with its JSON parser rather than compiling. The trailing 0 is
    // not a patch and is ignored.
    set patch(m) {
      if (Array.isArray(m) && m.length === 3 && Array.isArray(m[1])) {
        const id = m[0], ops = m[1], seq = m[2];
        enqueue(() => applyOps(id, ops, seq));
      }
    },
    pull(id, n, seq) {
      pending++;
      const got = fetch("/__mpkit/pull/" + n + ".json").then((r) => {
        if (!r.ok) throw new Error("pull " + n + ": " + r.status);
        return r.json();
      });
      queue = queue.then(() => got).then((ops) => applyOps(id, ops, seq), (err) => { ack(id, seq); throw err; })
        .catch((e) => send({ t: "viewError", message: String(e) }))
        .finally(() => { pending--; });
    },
    error(id, view) {
      enqueue(() => {
        const o = $("mp-overlay");
        o.textContent = "";
        const w = document.createElement("div");
        w.className = "mp-where";
        w.textContent = view.file + (view.line ? ":" + view.line + ":" + view.column : "");
        o.appendChild(w);
        o.appendChild(document.createTextNode(view.message));
        o.hidden = false;
        markPainted();
      });
    },
    // Where nodes are, for my.createSelectorQuery: [left, top, width,
    // height, scrollLeft, scrollTop] relative to the page's viewport, null
    // for a node that is not there. Answered at once (the host waits).
    measure(id, nodes) {
      const p = pages.get(id);
      const base = p ? pagesEl.getBoundingClientRect() : null;
      return nodes.map((n) => {
        const el = p && p.nodes.get(n);
        if (!el || !el.getBoundingClientRect) return null;
        const r = el.getBoundingClientRect();
        return [r.left - base.left, r.top - base.top, r.width, r.height, el.scrollLeft || 0, el.scrollTop || 0];
      });
    },
    // A canvas context's draw: actions the host checked against its list,
    // each mapped onto the element's 2D context here; gradients arrive as
    // {type, args, stops}. Images are not drawn (no package URL is trusted here).
    canvas(id, node, actions, reserve) {
      enqueue(() => {
        const p = pages.get(id);
        const el = p && p.nodes.get(node);
        if (!el || el.tagName !== "CANVAS") return;
        if (el.width !== el.clientWidth && el.clientWidth) { el.width = el.clientWidth; el.height = el.clientHeight; }
        const c = el.getContext("2d");
        if (!reserve) { c.setTransform(1, 0, 0, 1, 0, 0); c.clearRect(0, 0, el.width, el.height); }
        const style = (v) => {
          if (!v || typeof v !== "object") return String(v);
          const a = (v.args || []).map(Number);
          const g = v.type === "linear" ? c.createLinearGradient(a[0], a[1], a[2], a[3])
            : v.type === "circular" ? c.createRadialGradient(a[0], a[1], 0, a[0], a[1], a[2])
            : v.type === "radial" ? c.createRadialGradient(a[0], a[1], a[2], a[3], a[4], a[5]) : null;
          if (!g) return "#000";
          for (const [o, col] of v.stops || []) { try { g.addColorStop(o, col); } catch (e) { /* a bad stop is skipped */ } }
          return g;
        };
        const SET = { setFillStyle: "fillStyle", setStrokeStyle: "strokeStyle", setLineWidth: "lineWidth",
          setLineCap: "lineCap", setLineJoin: "lineJoin", setMiterLimit: "miterLimit", setTextAlign: "textAlign",
          setTextBaseline: "textBaseline", setGlobalAlpha: "globalAlpha" };
        const CALL = new Set(["fillRect", "strokeRect", "clearRect", "rect", "beginPath", "closePath", "moveTo",
          "lineTo", "arc", "arcTo", "quadraticCurveTo", "bezierCurveTo", "fill", "stroke", "clip", "fillText",
          "strokeText", "save", "restore", "translate", "rotate", "scale", "transform", "setTransform"]);
        for (const [name, args] of actions) {
          try {
            if (name[0] === "=") {
              const prop = name.slice(1);
              c[prop] = /Style$/.test(prop) ? style(args[0]) : args[0];
            } else if (SET[name]) c[SET[name]] = /Style$/.test(SET[name]) ? style(args[0]) : args[0];
            else if (name === "setFontSize") c.font = Number(args[0]) + "px sans-serif";
            else if (name === "setLineDash") c.setLineDash(Array.isArray(args[0]) ? args[0] : []);
            else if (name === "setShadow") { c.shadowOffsetX = args[0]; c.shadowOffsetY = args[1]; c.shadowBlur = args[2]; c.shadowColor = String(args[3]); }
            else if (CALL.has(name)) c[name].apply(c, args);
          } catch (e) { /* one bad action does not stop the rest */ }
        }
      });
    },
    clearError() { enqueue(() => { $("mp-overlay").hidden = true; }); },
    ui(id, req, uiKey) {
      enqueue(() => {
        if (req.ui === "toast") {
          const t = $("mp-toast");
          t.textContent = req.content; t.hidden = false;
          clearTimeout(toastTimer);
          toastTimer = setTimeout(() => { t.hidden = true; }, Math.min(req.duration_ms || 2000, 10000));
        } else if (req.ui === "showLoading") {
          const l = $("mp-loading"); l.querySelector("p").textContent = req.content || ""; l.hidden = false;
        } else if (req.ui === "hideLoading") { $("mp-loading").hidden = true; }
        else if (req.ui === "navigationBar") {
          const p = top();
          if (p) {
            if (req.title != null) p.chrome.title = req.title;
            if (req.background_color != null) p.chrome.titleBarColor = req.background_color;
            drawChrome();
          }
        } else modal(req, id, uiKey);
      });
    },
    reset() {
      enqueue(() => {
        for (const p of pages.values()) p.el.remove();
        pages.clear(); stack = []; painted = false;
        $("mp-modal").hidden = true; $("mp-overlay").hidden = true; $("mp-toast").hidden = true; $("mp-loading").hidden = true;
        drawChrome();
      });
    },
  };
  Object.defineProperty(window, "__mpkit", { value: Object.freeze(api) });
  send({ t: "ready" });
})();
