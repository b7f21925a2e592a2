// Operator dashboard: read-only views over the JSON API. The key lives in sessionStorage and is sent
// as `Authorization: Bearer`; nothing else leaves this page.
"use strict";
const store = window.sessionStorage;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
let systems = [], health = {};

async function api(path, options = {}) {
  const headers = { authorization: `Bearer ${store.getItem("hc-key")}`, "content-type": "application/json" };
  const answer = await fetch(path, { ...options, headers });
  if (answer.status === 401 || answer.status === 403) { forget(); throw new Error("the key was refused"); }
  if (!answer.ok) throw new Error(`${path}: HTTP ${answer.status}`);
  return answer.json();
}

function forget() { store.removeItem("hc-key"); $("app").hidden = true; $("key-form").hidden = false; }

async function load() {
  $("error").textContent = "";
  try {
    systems = [];
    let cursor = null;
    do {
      const page = await api(`/systems?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      systems.push(...page.items); cursor = page.nextCursor;
    } while (cursor);
    health = {};
    for (let i = 0; i < systems.length; i += 1000) {
      const ids = systems.slice(i, i + 1000).map((s) => s.id);
      if (ids.length) Object.assign(health, (await api("/health/batch", { method: "POST", body: JSON.stringify({ systemIds: ids }) })).statuses);
    }
    $("key-form").hidden = true; $("app").hidden = false; render();
  } catch (error) { $("error").textContent = error.message; }
}

function render() {
  const text = $("filter").value.toLowerCase(), wanted = $("status-filter").value;
  $("systems").innerHTML = systems.filter((s) => {
    const status = health[s.id]?.status ?? "unknown";
    const hay = `${s.name} ${s.id} ${(s.tags || []).join(" ")}`.toLowerCase();
    return (!wanted || status === wanted) && (!text || hay.includes(text));
  }).map((s) => {
    const h = health[s.id] || {};
    return `<tr class="pick" data-id="${esc(s.id)}"><td>${esc(s.name)} <small>${esc(s.id)}</small></td>` +
      `<td class="${esc(h.status || "unknown")}">${esc(h.status || "unknown")}</td><td>${esc(h.since || "")}</td></tr>`;
  }).join("");
}

function sparkline(buckets) {
  const values = buckets.map((b) => b.latencyMs?.avg ?? null), top = Math.max(1, ...values.filter((v) => v !== null));
  const points = values.map((v, i) => v === null ? null : `${(i * 160 / Math.max(1, values.length - 1)).toFixed(1)},${(22 - v / top * 20).toFixed(1)}`);
  return `<svg class="spark" viewBox="0 0 160 24"><polyline fill="none" stroke="#1f9d55" stroke-width="1.5" points="${points.filter(Boolean).join(" ")}"/></svg>`;
}

async function detail(systemId) {
  try {
    const checks = await api(`/systems/${encodeURIComponent(systemId)}/checks`);
    const transitions = await api(`/systems/${encodeURIComponent(systemId)}/transitions?limit=20`);
    let html = `<h2>${esc(systemId)}</h2><h3>Checks</h3><table><tr><th>Check</th><th>Status</th><th>Latency, 24 h</th><th>Last runs</th></tr>`;
    for (const check of checks.items || checks) {
      const base = `/systems/${encodeURIComponent(systemId)}/checks/${encodeURIComponent(check.configurationId)}`;
      const history = await api(`${base}/history?points=48`);
      const runs = await api(`${base}/runs?limit=5`);
      const runList = runs.items.map((r) => `<div class="${esc(r.status)}">${esc(r.timestamp)} ${esc(r.status)} ${esc(r.latencyMs ?? "")} ms ` +
        r.assertions.map((a) => `<span class="${a.passed ? "pass" : "fail"}">${esc(a.source)} ${esc(a.operator)} ${esc(JSON.stringify(a.value))}: ${a.passed ? "pass" : "fail"}</span>`).join(" ") + "</div>").join("");
      html += `<tr><td>${esc(check.configurationName)}</td><td class="${esc(check.status)}">${esc(check.status)}</td><td>${sparkline(history.buckets)}</td><td>${runList}</td></tr>`;
    }
    html += `</table><h3>Transitions</h3><ul>` + transitions.items.map((t) =>
      `<li>${esc(t.at)}: <span class="${esc(t.previousStatus)}">${esc(t.previousStatus)}</span> → <span class="${esc(t.newStatus)}">${esc(t.newStatus)}</span>${t.suppressed ? " (maintenance)" : ""}</li>`).join("") + "</ul>";
    $("detail").innerHTML = html;
  } catch (error) { $("error").textContent = error.message; }
}

$("key-form").addEventListener("submit", (event) => { event.preventDefault(); store.setItem("hc-key", $("key").value); load(); });
$("forget").addEventListener("click", forget);
$("filter").addEventListener("input", render);
$("status-filter").addEventListener("change", render);
$("systems").addEventListener("click", (event) => { const row = event.target.closest("tr[data-id]"); if (row) detail(row.dataset.id); });
if (store.getItem("hc-key")) load(); else forget();
setInterval(() => { if (store.getItem("hc-key")) load(); }, 30000);
