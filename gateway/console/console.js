// The gateway console: lists the exposed names, shows an object's metadata ($meta), calls
// its methods through the gateway's own API and shows results, exceptions and timings.
// Everything the page shows from the server goes in through textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let current = null; // the open object's name

function keyHeaders(extra) {
  const h = Object.assign({ "Accept": "application/json" }, extra || {});
  const key = $("key").value;
  if (key) h["X-Pyro-Gateway-Key"] = key;
  return h;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function apiURL(name, method) {
  return "pyro/" + encodeURIComponent(name) + "/" + encodeURIComponent(method);
}

async function loadNames() {
  const q = new URLSearchParams();
  for (const [id, param] of [["f-prefix", "prefix"], ["f-regex", "regex"], ["f-meta-all", "meta_all"], ["f-meta-any", "meta_any"]]) {
    const v = $(id).value.trim();
    if (v) q.set(param, v);
  }
  $("names-status").textContent = "loading…";
  const res = await fetch("api/names?" + q.toString(), { headers: keyHeaders() });
  const body = await res.text();
  const tbody = $("names").tBodies[0];
  tbody.replaceChildren();
  if (!res.ok) {
    $("names-status").textContent = "error " + res.status + ": " + describeError(body);
    return;
  }
  const data = JSON.parse(body);
  $("ns").textContent = "name server: " + data.nameserver;
  $("names-status").textContent = data.entries.length + (data.entries.length === 1 ? " name" : " names");
  for (const e of data.entries) {
    const tr = el("tr");
    tr.dataset.name = e.name;
    tr.appendChild(el("td", e.name, "name"));
    tr.appendChild(el("td", e.uri, "uri"));
    const meta = el("td");
    for (const m of e.metadata) meta.appendChild(el("span", m, "tag"));
    tr.appendChild(meta);
    tr.addEventListener("click", () => openObject(e.name, e.uri));
    if (e.name === current) tr.classList.add("selected");
    tbody.appendChild(tr);
  }
}

function describeError(body) {
  try {
    const x = JSON.parse(body);
    if (x && x.__exception__) return x.__class__ + ": " + x.args.join(", ");
  } catch (_) { /* plain text */ }
  return body;
}

function fillChips(id, names, onclick) {
  const ul = $(id);
  ul.replaceChildren();
  if (names.length === 0) { ul.appendChild(el("li", "none", "none")); return; }
  for (const n of names) {
    const li = el("li", n);
    li.addEventListener("click", () => onclick(n));
    ul.appendChild(li);
  }
}

async function openObject(name, uri) {
  current = name;
  for (const tr of $("names").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.name === name);
  $("object-panel").hidden = false;
  $("obj-name").textContent = name;
  $("obj-uri").textContent = uri;
  $("result").hidden = true;
  const res = await fetch(apiURL(name, "$meta"), { headers: keyHeaders() });
  const body = await res.text();
  if (!res.ok) {
    showResult(name + "/$meta", res.status, body, 0);
    return;
  }
  const meta = JSON.parse(body);
  const oneway = meta.oneway || [];
  const pick = (m) => { $("call-method").value = m; $("call-oneway").checked = oneway.includes(m); $("call-args").focus(); };
  fillChips("obj-methods", meta.methods, pick);
  fillChips("obj-attrs", meta.attributes, (a) => call(name, a, null, false));
  fillChips("obj-oneway", oneway, pick);
  const sel = $("call-method");
  sel.replaceChildren();
  for (const m of meta.methods) sel.appendChild(el("option", m));
  for (const a of meta.attributes) sel.appendChild(el("option", a));
}

async function call(name, method, argsText, oneway) {
  const init = { method: "GET", headers: keyHeaders() };
  if (argsText !== null && argsText.trim() !== "" && argsText.trim() !== "[]" && argsText.trim() !== "{}") {
    try { JSON.parse(argsText); } catch (e) {
      showResult(name + "/" + method, "bad JSON", String(e.message), 0);
      return;
    }
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = argsText;
  }
  if (oneway) init.headers["X-Pyro-Options"] = "oneway";
  const what = init.method + " " + name + "/" + method + (init.body ? " " + init.body : "");
  const t0 = performance.now();
  let status, body;
  try {
    const res = await fetch(apiURL(name, method), init);
    body = await res.text();
    status = res.status;
  } catch (e) {
    status = "network error";
    body = String(e);
  }
  showResult(what, status, body, performance.now() - t0);
}

function showResult(what, status, body, ms) {
  $("result").hidden = false;
  const ok = status === 200;
  const badge = $("result-status");
  badge.textContent = String(status);
  badge.className = ok ? "badge" : "badge fail";
  $("result-what").textContent = what;
  $("result-time").textContent = ms ? ms.toFixed(1) + " ms" : "";
  let parsed;
  try { parsed = body === "" ? undefined : JSON.parse(body); } catch (_) { parsed = undefined; }
  const isExc = parsed && typeof parsed === "object" && parsed.__exception__ === true;
  $("result-error").hidden = !isExc;
  if (isExc) {
    $("error-class").textContent = parsed.__class__;
    $("error-message").textContent = (parsed.args || []).map(String).join(", ");
    const tb = (parsed.attributes && parsed.attributes._pyroTraceback) || [];
    $("error-traceback").textContent = Array.isArray(tb) ? tb.join("") : String(tb);
    $("error-tb-box").hidden = tb.length === 0;
  }
  $("result-body").textContent = parsed === undefined ? (body === "" ? "(no result: oneway)" : body) : JSON.stringify(parsed, null, 2);
  $("result-body").hidden = isExc;
  const tr = el("tr");
  tr.appendChild(el("td", what, "mono"));
  tr.appendChild(el("td", String(status)));
  tr.appendChild(el("td", ms ? ms.toFixed(1) + " ms" : ""));
  const hist = $("history").tBodies[0];
  hist.insertBefore(tr, hist.firstChild);
  while (hist.rows.length > 20) hist.deleteRow(-1);
}

document.addEventListener("DOMContentLoaded", () => {
  $("key").value = sessionStorage.getItem("pyro-gateway-key") || "";
  $("key").addEventListener("change", () => { sessionStorage.setItem("pyro-gateway-key", $("key").value); loadNames(); });
  $("filter").addEventListener("submit", (e) => { e.preventDefault(); loadNames(); });
  $("f-clear").addEventListener("click", () => { $("filter").reset(); loadNames(); });
  $("call").addEventListener("submit", (e) => {
    e.preventDefault();
    if (current) call(current, $("call-method").value, $("call-args").value, $("call-oneway").checked);
  });
  loadNames();
});
