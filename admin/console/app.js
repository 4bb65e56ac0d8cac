/* ondc-gateway console: plain JavaScript over the seller API
 * (/seller/v1/..., described at /seller/v1/openapi.json). The session is
 * a cookie set by POST /seller/v1/session; every change carries the
 * session's CSRF token in X-CSRF-Token. Everything shown that came from
 * the network (buyer names, addresses, item names) is put in the page as
 * text, never as HTML. */
"use strict";

const S = { csrf: null, user: null, es: null, page: null, known: null, timers: [], gen: 0 };
const main = () => document.getElementById("main");

/* h(tag, attrs, ...children): an element; strings become text nodes */
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of kids.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function toast(msg, bad) {
  const t = document.getElementById("toast");
  t.textContent = msg;
  t.className = bad ? "err" : "";
  t.hidden = false;
  clearTimeout(toast.t);
  toast.t = setTimeout(() => (t.hidden = true), 4000);
}

/* api(method, path, body): the parsed answer; throws {status, error} */
async function api(method, path, body) {
  const opt = { method, credentials: "same-origin", headers: {} };
  if (method !== "GET") opt.headers["X-CSRF-Token"] = S.csrf || "";
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  const text = await r.text();
  let j = null;
  try { j = text ? JSON.parse(text) : null; } catch (e) { j = text; }
  if (r.status === 401 && path !== "/seller/v1/session") { showLogin(); throw { status: 401 }; }
  if (!r.ok) throw { status: r.status, error: (j && j.error) || { message: String(text) } };
  return j;
}

function errText(e) {
  const x = e && e.error;
  if (!x) return "failed (" + (e && e.status) + ")";
  return (x.field ? x.field + ": " : "") + (x.message || "") + (x.code ? " [" + x.code + "]" : "");
}

/* ---- login ---- */

function showLogin(msg) {
  stopTimers();
  if (S.es) { S.es.close(); S.es = null; }
  S.csrf = null;
  document.getElementById("top").hidden = true;
  const err = h("p", { id: "login-error", class: "err" }, msg || "");
  const form = h("form", { id: "login-form" },
    h("label", {}, "Admin token", h("input", { id: "token", type: "password", autocomplete: "off" })),
    h("p", { class: "muted" }, "or a console user"),
    h("label", {}, "User", h("input", { id: "user", autocomplete: "username" })),
    h("label", {}, "Password", h("input", { id: "password", type: "password", autocomplete: "current-password" })),
    h("button", { id: "login-btn", class: "primary", type: "submit" }, "Log in"), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const token = document.getElementById("token").value;
    const body = token ? { token } : { user: document.getElementById("user").value,
                                        password: document.getElementById("password").value };
    try {
      const s = await api("POST", "/seller/v1/session", body);
      loggedIn(s);
    } catch (e) { err.textContent = errText(e); }
  });
  main().replaceChildren(h("div", { id: "login", class: "card" }, h("h1", {}, "Seller console"), form));
}

function loggedIn(s) {
  S.csrf = s.csrf;
  S.user = s.user;
  document.getElementById("top").hidden = false;
  document.getElementById("who").textContent = s.user;
  startEvents();
  if (!location.hash || location.hash === "#/login") location.hash = "#/orders";
  else route();
}

async function logout() {
  try { await api("DELETE", "/seller/v1/session"); } catch (e) { /* gone anyway */ }
  location.hash = "#/login";
  showLogin("Logged out.");
}

/* ---- live updates ---- */

function beep() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const o = ctx.createOscillator(), g = ctx.createGain();
    o.frequency.value = 880;
    g.gain.value = 0.1;
    o.connect(g).connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.25);
  } catch (e) { /* no sound here */ }
}

function startEvents() {
  if (S.es) return;
  S.es = new EventSource("/seller/v1/events");
  const live = document.getElementById("live");
  S.es.addEventListener("hello", () => live.classList.add("on"));
  S.es.onerror = () => live.classList.remove("on");
  let pending = null;
  S.es.addEventListener("change", (ev) => {
    let d = {};
    try { d = JSON.parse(ev.data); } catch (e) { /* keep {} */ }
    if (d.action === "on_confirm") beep();
    /* many changes at once refresh the page once */
    clearTimeout(pending);
    pending = setTimeout(() => { if (S.page && S.page.refresh) S.page.refresh(d); }, 150);
  });
}

function stopTimers() {
  S.timers.forEach(clearInterval);
  S.timers = [];
}

/* ---- pages ---- */

function fmtLeft(ms) {
  if (ms <= 0) return "closing";
  const s = Math.floor(ms / 1000);
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

function countdowns() {
  for (const e of document.querySelectorAll("[data-by]")) {
    e.textContent = fmtLeft(Date.parse(e.dataset.by) - Date.now());
  }
}

function stateTag(s) { return h("span", { class: "state " + (s || "") }, s || "-"); }

async function ordersPage(opts) {
  const returns = opts && opts.returns;
  const title = returns ? "Returns & cancellations" : "Orders";
  const fState = h("select", { id: "f-state" }, h("option", { value: "" }, "any state"),
    ["Created", "Accepted", "In-progress", "Completed", "Cancelled"].map((s) => h("option", { value: s }, s)));
  if (returns) fState.value = "";
  const fQ = h("input", { id: "f-q", placeholder: "order id, buyer, phone" });
  const tbody = h("tbody", {});
  const table = h("table", { id: "orders" },
    h("thead", {}, h("tr", {}, ["Order", "Buyer", "Buyer app", "State", "Delivery", "Total", "Updated", "Accept within"].map((t) => h("th", {}, t)))),
    tbody);
  const note = h("p", { class: "muted", id: "orders-count" });
  let seq = 0;
  const gen = S.gen;
  async function load(ev) {
    const mine = ++seq;
    const q = new URLSearchParams({ sort: "-updated_at", limit: "200" });
    if (fState.value) q.set("state", fState.value);
    if (fQ.value) q.set("q", fQ.value);
    let lists;
    try {
      if (returns) {
        const [r, c] = await Promise.all([api("GET", "/seller/v1/orders?returns=true&" + q),
          api("GET", "/seller/v1/orders?" + (q.set("state", "Cancelled"), q))]);
        const seen = new Set();
        lists = [...r.orders, ...c.orders].filter((o) => !seen.has(o.id + o.bap_id) && seen.add(o.id + o.bap_id));
      } else {
        lists = (await api("GET", "/seller/v1/orders?" + q)).orders;
      }
    } catch (e) { if (e.status !== 401) toast(errText(e), true); return; }
    if (mine !== seq || gen !== S.gen) return; /* a later load answers, or the page changed */
    const before = S.known;
    S.known = new Set(lists.map((o) => o.id + "\u001f" + o.bap_id));
    tbody.replaceChildren(...lists.map((o) => {
      const isNew = before && !before.has(o.id + "\u001f" + o.bap_id);
      const tr = h("tr", { class: "click" + (isNew ? " new" : ""), dataset: { id: o.id, bap: o.bap_id, state: o.state } },
        h("td", {}, o.id), h("td", {}, o.buyer || ""), h("td", {}, o.bap_id), h("td", {}, stateTag(o.state)),
        h("td", {}, o.fulfillment_state,
          (o.returns || []).map((r) => h("div", { class: "muted" }, "return " + r.id + ": " + r.state))),
        h("td", {}, o.total ? "\u20b9" + o.total : ""), h("td", {}, (o.updated_at || "").replace("T", " ").slice(0, 19)),
        h("td", {}, o.accept_by ? h("span", { class: "countdown", dataset: { by: o.accept_by } }) : ""));
      tr.addEventListener("click", () => { location.hash = "#/order/" + encodeURIComponent(o.id) + "?bap_id=" + encodeURIComponent(o.bap_id); });
      return tr;
    }));
    note.textContent = lists.length + " order(s)";
    countdowns();
    if (ev && ev.action === "on_confirm" && before) toast("New order");
  }
  fState.addEventListener("change", () => load());
  fQ.addEventListener("input", () => { clearTimeout(fQ.t); fQ.t = setTimeout(load, 250); });
  main().replaceChildren(h("h1", {}, title), h("div", { class: "bar" }, fState, fQ), table, note);
  S.known = null;
  await load();
  S.timers.push(setInterval(countdowns, 1000));
  return { refresh: load };
}

const VERB_LABEL = {
  accept: "Accept", reject: "Reject", packed: "Packed", "agent-assigned": "Agent assigned",
  "picked-up": "Picked up", "out-for-delivery": "Out for delivery", delivered: "Delivered",
  cancel: "Cancel", "rto-initiated": "Return to origin", "rto-delivered": "Back at the store",
  "rto-disposed": "Disposed",
};

async function orderPage(id, bap) {
  const path = "/seller/v1/orders/" + encodeURIComponent(id) + (bap ? "?bap_id=" + encodeURIComponent(bap) : "");
  let seq = 0;
  const gen = S.gen;
  async function load() {
    const mine = ++seq;
    let r;
    try { r = await api("GET", path); } catch (e) { if (e.status !== 401) main().replaceChildren(h("p", { class: "err" }, errText(e))); return; }
    if (mine !== seq || gen !== S.gen) return; /* a later load answers, or the page changed */
    /* what the seller was typing survives a live refresh */
    const typed = {};
    for (const f of ["agent-name", "agent-phone"]) {
      const el = document.getElementById(f);
      if (el) typed[f] = el.value;
    }
    const o = r.order, b = o.billing || {};
    const quote = o.quote || {};
    const rows = (quote.breakup || []).map((x) => h("tr", {},
      h("td", {}, x.title || x["@ondc/org/item_id"] || ""), h("td", {}, x["@ondc/org/title_type"] || ""),
      h("td", {}, (x["@ondc/org/item_quantity"] || {}).count || ""), h("td", {}, (x.price || {}).value || "")));
    const timeline = h("ol", { class: "timeline", id: "timeline" }, (o.fulfillments || []).map((f) =>
      h("li", {}, h("strong", {}, (f.type || "Delivery") + " " + (f.id || "")), " ",
        stateTag(((f.state || {}).descriptor || {}).code), " ",
        h("span", { class: "muted" }, ((f.state || {}).updated_at || "").replace("T", " ").slice(0, 19)),
        f.agent ? h("div", { class: "muted" }, "agent: " + f.agent.name + " " + f.agent.phone) : "",
        ((f.start || {}).time || {}).timestamp ? h("div", { class: "muted" }, "picked up " + f.start.time.timestamp) : "",
        ((f.end || {}).time || {}).timestamp ? h("div", { class: "muted" }, "delivered " + f.end.time.timestamp) : "")));
    const end = ((o.fulfillments || [])[0] || {}).end || {};
    const addr = (end.location || {}).address || b.address || {};
    const agent = h("span", { id: "agent", hidden: !(r.actions || []).includes("agent-assigned") },
      h("input", { id: "agent-name", placeholder: "agent name", value: typed["agent-name"] || "" }),
      h("input", { id: "agent-phone", placeholder: "agent phone", value: typed["agent-phone"] || "" }));
    const acts = h("div", { class: "bar", id: "actions" }, (r.actions || []).map((v) => {
      const rv = v.match(/^return\/(.+)\/(\w+)$/);
      const label = rv ? "Return " + rv[1] + ": " + rv[2] : VERB_LABEL[v] || v;
      return h("button", { type: "button", dataset: { action: v },
        class: v === "accept" ? "primary" : /reject|cancel/.test(v) ? "danger" : "",
        onclick: () => act(v) }, label);
    }), agent, (r.actions || []).length ? "" : h("span", { class: "muted" }, "no action is open in this state"));
    async function act(v) {
      let body;
      if (v === "agent-assigned") body = { name: document.getElementById("agent-name").value, phone: document.getElementById("agent-phone").value };
      if (v === "reject" || v === "cancel") body = { reason: v === "reject" ? "005" : "002" };
      if (/^return\/.+\/reject$/.test(v)) body = { reason: "rejected by the seller" };
      try {
        await api("POST", "/seller/v1/orders/" + encodeURIComponent(id) + "/" + v + (bap ? "?bap_id=" + encodeURIComponent(bap) : ""), body);
        toast((VERB_LABEL[v] || v) + ": done");
        await load();
      } catch (e) { toast(errText(e), true); }
    }
    main().replaceChildren(
      h("p", {}, h("a", { href: "#/orders" }, "\u2190 orders")),
      h("h1", { id: "order-title" }, "Order " + o.id + " ", stateTag(o.state)),
      r.accept_by && o.state === "Created" ? h("p", {}, "Accept within ", h("span", { class: "countdown", id: "countdown", dataset: { by: r.accept_by } }), " or it is rejected.") : "",
      acts,
      h("div", { class: "grid" },
        h("div", { class: "card" }, h("h2", {}, "Buyer"), h("div", {}, b.name || ""), h("div", {}, b.phone || ""), h("div", {}, b.email || ""),
          h("div", { class: "muted" }, [addr.name, addr.building, addr.locality, addr.city, addr.area_code].filter(Boolean).join(", ")),
          h("div", { class: "muted" }, "buyer app: " + r.bap_id)),
        h("div", { class: "card" }, h("h2", {}, "Fulfillment"), timeline),
        h("div", { class: "card" }, h("h2", {}, "Payment"), h("div", {}, (o.payment || {}).type || ""), h("div", {}, (o.payment || {}).status || ""))),
      h("div", { class: "card" }, h("h2", {}, "Quote"),
        h("table", { id: "quote" }, h("thead", {}, h("tr", {}, ["", "type", "qty", "price"].map((t) => h("th", {}, t)))), h("tbody", {}, rows),
          h("tfoot", {}, h("tr", {}, h("th", {}, "Total"), h("th"), h("th"), h("th", { id: "total" }, (quote.price || {}).value || ""))))));
    countdowns();
  }
  await load();
  S.timers.push(setInterval(countdowns, 1000));
  return { refresh: load };
}

async function catalogPage() {
  const q = h("input", { id: "c-q", placeholder: "search items" });
  const tbody = h("tbody", {});
  const file = h("input", { id: "import-file", type: "file", accept: ".json,application/json" });
  const mode = h("select", { id: "import-mode" }, h("option", { value: "upsert" }, "upsert (add and change)"), h("option", { value: "replace" }, "replace the whole catalog"));
  const result = h("div", { id: "import-result" });
  async function load() {
    const p = new URLSearchParams({ limit: "1000" });
    if (q.value) p.set("q", q.value);
    let r;
    try { r = await api("GET", "/seller/v1/items?" + p); } catch (e) { if (e.status !== 401) toast(errText(e), true); return; }
    tbody.replaceChildren(...r.items.map((it) => {
      const price = h("input", { class: "num price", value: it.price || "" });
      const mrp = h("input", { class: "num mrp", value: it.maximum_value || "" });
      const stock = h("input", { class: "num stock", type: "number", min: "0", value: it.stock });
      const en = h("input", { class: "enabled", type: "checkbox", checked: it.enabled });
      const msg = h("span", { class: "muted msg" });
      const save = h("button", { type: "button", class: "save", onclick: async () => {
        const patch = {};
        if (price.value !== (it.price || "")) patch.price = price.value;
        if (mrp.value !== (it.maximum_value || "")) patch.maximum_value = mrp.value;
        if (String(stock.value) !== String(it.stock)) patch.stock = Number(stock.value);
        if (en.checked !== it.enabled) patch.enabled = en.checked;
        if (!Object.keys(patch).length) { msg.textContent = "nothing changed"; return; }
        try {
          const a = await api("PATCH", "/seller/v1/items/" + encodeURIComponent(it.provider_id) + "/" + encodeURIComponent(it.id), patch);
          Object.assign(it, { price: a.item.price.value, maximum_value: a.item.price.maximum_value, stock: a.stock, enabled: a.item.enabled !== false });
          msg.className = "ok msg";
          msg.textContent = "saved";
        } catch (e) { msg.className = "err msg"; msg.textContent = errText(e); }
      } }, "Save");
      return h("tr", { dataset: { item: it.id, provider: it.provider_id } }, h("td", {}, it.id), h("td", {}, it.name || ""),
        h("td", {}, it.provider_id), h("td", {}, price), h("td", {}, mrp), h("td", {}, stock), h("td", {}, en), h("td", {}, save, " ", msg));
    }));
  }
  q.addEventListener("input", () => { clearTimeout(q.t); q.t = setTimeout(load, 250); });
  const imp = h("button", { id: "import-btn", type: "button", onclick: async () => {
    result.className = "";
    if (!file.files.length) { result.textContent = "choose a catalog file"; return; }
    const text = await file.files[0].text();
    try {
      const a = await api("PUT", "/seller/v1/catalog?mode=" + mode.value, text);
      result.className = "ok";
      result.textContent = "imported: " + a.providers + " provider(s), " + a.items + " item(s)";
      load();
    } catch (e) {
      result.className = "err";
      result.replaceChildren(h("strong", { id: "import-field" }, (e.error && e.error.field) || ""), " ", (e.error && e.error.message) || errText(e));
    }
  } }, "Import");
  main().replaceChildren(h("h1", {}, "Catalog & stock"),
    h("div", { class: "card" }, h("h2", {}, "Import a catalog file"), h("div", { class: "bar" }, file, mode, imp), result,
      h("p", { class: "muted" }, "Items already in the store keep their live stock unless the file says \"stock\": \"set\".")),
    h("div", { class: "bar" }, q),
    h("table", { id: "items" }, h("thead", {}, h("tr", {}, ["Item", "Name", "Provider", "Price", "MRP", "Stock", "Enabled", ""].map((t) => h("th", {}, t)))), tbody));
  await load();
  return { refresh: () => {} };
}

async function timingsPage() {
  let cat;
  try { cat = await api("GET", "/seller/v1/catalog"); } catch (e) { return; }
  const cards = (cat["bpp/providers"] || []).map((p) => {
    const locs = (p.locations || []).map((l, i) => {
      const t = l.time || {};
      const days = h("input", { class: "days", value: t.days || "1,2,3,4,5,6,7" });
      const start = h("input", { class: "start num", value: (t.range || {}).start || "" });
      const end = h("input", { class: "end num", value: (t.range || {}).end || "" });
      const hol = h("input", { class: "holidays", size: 40, value: ((t.schedule || {}).holidays || []).join(",") });
      return { l, i, row: h("tr", {}, h("td", {}, String(l.id)), h("td", {}, days), h("td", {}, start, "\u2013", end), h("td", {}, hol)), days, start, end, hol };
    });
    const msg = h("span", { class: "muted" });
    const save = h("button", { type: "button", onclick: async () => {
      const prov = JSON.parse(JSON.stringify(p));
      for (const x of locs) {
        const t = prov.locations[x.i].time = prov.locations[x.i].time || {};
        t.days = x.days.value;
        t.range = { start: x.start.value, end: x.end.value };
        t.schedule = Object.assign(t.schedule || {}, { holidays: x.hol.value.split(",").map((s) => s.trim()).filter(Boolean) });
      }
      try {
        await api("PUT", "/seller/v1/catalog?mode=upsert", { "bpp/providers": [prov] });
        msg.className = "ok"; msg.textContent = "saved";
      } catch (e) { msg.className = "err"; msg.textContent = errText(e); }
    } }, "Save");
    return h("div", { class: "card" }, h("h2", {}, (p.descriptor || {}).name || p.id),
      h("table", {}, h("thead", {}, h("tr", {}, ["Location", "Days (1 = Monday)", "Open (HHMM)", "Holidays (YYYY-MM-DD, ...)"].map((t) => h("th", {}, t)))),
        h("tbody", {}, locs.map((x) => x.row))), h("div", { class: "bar" }, save, msg));
  });
  main().replaceChildren(h("h1", {}, "Store timings and holidays"), ...cards);
  return { refresh: () => {} };
}

async function complaintsPage() {
  const tbody = h("tbody", {});
  const detail = h("div", { id: "issue" });
  async function load() {
    let r;
    try { r = await api("GET", "/seller/v1/issues"); } catch (e) { return; }
    tbody.replaceChildren(...r.issues.map((i) => {
      const tr = h("tr", { class: "click", dataset: { issue: i.id } }, h("td", {}, i.id), h("td", {}, i.order_id || ""),
        h("td", {}, i.category || ""), h("td", {}, i.code || ""), h("td", {}, stateTag(i.state)), h("td", {}, i.level || ""),
        h("td", { class: i.overdue_response || i.overdue_resolution ? "err" : "" }, (i.resolve_by || "").replace("T", " ").slice(0, 16)));
      tr.addEventListener("click", () => show(i));
      return tr;
    }));
  }
  async function show(i) {
    const path = "/seller/v1/issues/" + encodeURIComponent(i.id) + "?bap_id=" + encodeURIComponent(i.bap_id);
    const desc = h("input", { placeholder: "what was done / what is needed", size: 40 });
    const action = h("select", {}, ["REFUND", "REPLACEMENT", "RETURN", "CANCEL", "NO-ACTION"].map((a) => h("option", { value: a }, a)));
    const refund = h("input", { class: "num", placeholder: "refund" });
    const msg = h("span", {});
    async function go(verb, body) {
      try { await api("POST", "/seller/v1/issues/" + encodeURIComponent(i.id) + "/" + verb + "?bap_id=" + encodeURIComponent(i.bap_id), body); msg.className = "ok"; msg.textContent = verb + ": done"; load(); }
      catch (e) { msg.className = "err"; msg.textContent = errText(e); }
    }
    let full = {};
    try { full = await api("GET", path); } catch (e) { /* shown below */ }
    const is = full.issue || {};
    detail.replaceChildren(h("div", { class: "card" }, h("h2", {}, "Complaint " + i.id), h("p", {}, ((is.description || is.descriptor || {}).short_desc) || ""),
      h("p", { class: "muted" }, ((is.description || is.descriptor || {}).long_desc) || ""),
      h("div", { class: "bar" },
        h("button", { type: "button", onclick: () => go("processing", { note: desc.value || undefined }) }, "Processing"),
        h("button", { type: "button", onclick: () => go("need-info", { info: desc.value || "Please send more details" }) }, "Ask for information"),
        action, refund,
        h("button", { type: "button", class: "primary", onclick: () => go("resolve", Object.assign({ action: action.value, short_desc: desc.value || action.value }, refund.value ? { refund_amount: refund.value } : {})) }, "Resolve"),
        h("button", { type: "button", onclick: () => go("escalate", { note: desc.value || undefined }) }, "Escalate"),
        h("button", { type: "button", onclick: () => go("close", { note: desc.value || undefined }) }, "Close")),
      h("div", { class: "bar" }, desc), msg));
  }
  main().replaceChildren(h("h1", {}, "Complaints"),
    h("table", { id: "issues" }, h("thead", {}, h("tr", {}, ["Issue", "Order", "Category", "Code", "State", "Level", "Resolve by"].map((t) => h("th", {}, t)))), tbody), detail);
  await load();
  return { refresh: load };
}

function chart(points) {
  const w = 600, ht = 120, n = points.length;
  const max = Math.max(1, ...points.map((p) => Math.max(p.requests, p.callbacks)));
  const line = (key) => points.map((p, i) => (n < 2 ? 0 : (i * w) / (n - 1)).toFixed(1) + "," + (ht - (p[key] * (ht - 10)) / max).toFixed(1)).join(" ");
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("viewBox", "0 0 " + w + " " + ht);
  svg.setAttribute("width", w);
  svg.setAttribute("height", ht);
  for (const [key, color] of [["requests", "#2a6fdb"], ["callbacks", "#3a3"]]) {
    const pl = document.createElementNS(NS, "polyline");
    pl.setAttribute("points", line(key));
    pl.setAttribute("fill", "none");
    pl.setAttribute("stroke", color);
    svg.append(pl);
  }
  return svg;
}

async function healthPage() {
  async function load() {
    let ready = {}, metrics = "", dead = { rows: [] }, tp = { points: [] };
    try { ready = await (await fetch("/ready", { credentials: "same-origin" })).json(); } catch (e) { /* shown empty */ }
    try { metrics = await (await fetch("/metrics", { credentials: "same-origin" })).text(); } catch (e) { /* empty */ }
    try { dead = await api("GET", "/seller/v1/outbox?status=dead&limit=20"); tp = await api("GET", "/seller/v1/throughput"); } catch (e) { if (e.status === 401) return; }
    const gauge = (name) => { const m = metrics.match(new RegExp("^" + name + " (\\S+)", "m")); return m ? m[1] : "?"; };
    const checks = Object.entries(ready.checks || {}).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", { class: v.ok ? "ok" : "err" }, v.ok ? "ok" : "failing"),
      h("td", { class: "muted" }, v.alive !== undefined ? v.alive + " alive of " + v.configured : v.records !== undefined ? v.records + " records" : "")));
    main().replaceChildren(h("h1", {}, "Node health"),
      h("div", { class: "grid" },
        h("div", { class: "card" }, h("h2", {}, "Ready: ", h("span", { id: "ready", class: ready.ready ? "ok" : "err" }, ready.ready ? "yes" : "no")), h("table", {}, h("tbody", {}, checks))),
        h("div", { class: "card" }, h("h2", {}, "Backlog"), h("table", {}, h("tbody", {},
          h("tr", {}, h("td", {}, "requests not handled yet"), h("td", { id: "backlog" }, gauge("ondc_journal_backlog"))),
          h("tr", {}, h("td", {}, "messages waiting to be sent"), h("td", {}, gauge("ondc_outbox_pending"))),
          h("tr", {}, h("td", {}, "dead letters (not sent)"), h("td", { id: "dead-count" }, gauge("ondc_outbox_dead"))),
          h("tr", {}, h("td", {}, "requests parked dead"), h("td", {}, gauge("ondc_journal_dead")))))),
        h("div", { class: "card" }, h("h2", {}, "Throughput, last hour (per minute)"), chart(tp.points || []),
          h("div", { class: "muted" }, "blue: requests from buyer apps; green: callbacks sent"))),
      h("div", { class: "card" }, h("h2", {}, "Dead letters"),
        h("table", { id: "dead" }, h("thead", {}, h("tr", {}, ["Row", "Action", "Tries", "Last answer", "Created", ""].map((t) => h("th", {}, t)))),
          h("tbody", {}, dead.rows.map((r) => h("tr", {}, h("td", {}, r.id), h("td", {}, r.action), h("td", {}, r.attempts), h("td", {}, r.answer), h("td", {}, r.created_at),
            h("td", {}, h("button", { type: "button", onclick: async () => { try { await api("POST", "/seller/v1/outbox/" + r.id + "/retry"); toast("sent again"); load(); } catch (e) { toast(errText(e), true); } } }, "Send again"))))))));
  }
  await load();
  S.timers.push(setInterval(load, 15000));
  return { refresh: () => {} };
}

async function route() {
  if (!S.csrf) return;
  stopTimers();
  S.gen++; /* answers for the page being left are dropped */
  const hash = location.hash || "#/orders";
  for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("on", hash.startsWith(a.getAttribute("href")));
  const m = hash.match(/^#\/order\/([^?]+)(?:\?bap_id=(.*))?$/);
  S.page = null;
  if (m) S.page = await orderPage(decodeURIComponent(m[1]), m[2] ? decodeURIComponent(m[2]) : null);
  else if (hash.startsWith("#/returns")) S.page = await ordersPage({ returns: true });
  else if (hash.startsWith("#/catalog")) S.page = await catalogPage();
  else if (hash.startsWith("#/timings")) S.page = await timingsPage();
  else if (hash.startsWith("#/complaints")) S.page = await complaintsPage();
  else if (hash.startsWith("#/health")) S.page = await healthPage();
  else S.page = await ordersPage();
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("logout").addEventListener("click", logout);
  try { loggedIn(await api("GET", "/seller/v1/session")); } catch (e) { showLogin(); }
});
