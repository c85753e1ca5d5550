// The task pane: every To/Cc/Bcc recipient with a level badge and the decision for the request chosen below,
// refreshed when the recipients change (Mailbox 1.7) and on open; the request toggle, level, fallback and neutral
// subject, written to the item's internet headers (Mailbox 1.8) when the client has them. On a client with only
// the manifest's minimum the list still works and the pane explains where the request must come from instead.
// Text is set with textContent only: nothing from the service or the message is parsed as HTML.

import { createApiClient } from "./api.js";
import { classify, notificationText } from "./summary.js";
import { createTranslator, pickLocale, DEFAULT_LOCALE } from "./strings.js";
import { displayLanguage, getRecipients, onRecipientsChanged, supportsHeaders } from "./office-adapter.js";
import { readRequest, writeRequest } from "./request.js";
import { formatRequest } from "./header.js";

const folder = new URL(".", location.href);
const $ = (id) => document.getElementById(id);

const state = {
  office: null,
  item: null,
  api: null,
  policy: null,
  tr: null,
  headers: false,
  generation: 0,
};

async function loadCatalog(locale) {
  const response = await fetch(new URL("locales/" + locale + ".json", folder), { cache: "no-store" });
  if (!response.ok) {
    throw new Error("HTTP " + response.status);
  }
  return response.json();
}

async function loadTranslator(office) {
  const locale = pickLocale(displayLanguage(office));
  const english = await loadCatalog(DEFAULT_LOCALE).catch(() => ({}));
  const catalog = locale === DEFAULT_LOCALE ? english : await loadCatalog(locale).catch(() => ({}));
  document.documentElement.lang = locale;
  return createTranslator(locale, catalog, english);
}

function translateStatic(tr) {
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = tr.t(element.getAttribute("data-i18n"));
  }
  document.title = tr.t("app.title");
}

function say(text) {
  $("status").textContent = text;
}

function chosenLevel() {
  return Number($("request-level").value) || 1;
}

function chosenFallback() {
  const checked = document.querySelector("input[name=fallback]:checked");
  return checked ? checked.value : "bounce";
}

/** The string key of an entry without a decision: "checking", "invalid" or "unknown". */
function pendingKey(kind) {
  return kind === "checking" || kind === "invalid" ? kind : "unknown";
}

function badgeFor(entry, kind, tr) {
  if (entry.internal) {
    return { text: tr.t("badge.internal"), label: tr.t("badge.internal") };
  }
  if (entry.state === "ready" && entry.domainLevel !== null && entry.domainLevel !== undefined) {
    return { text: tr.t("badge.level", { level: entry.domainLevel }), label: tr.t("badge.levelLabel", { level: entry.domainLevel }) };
  }
  const name = pendingKey(kind);
  return { text: tr.t("badge." + name), label: tr.t("badge." + name + "Label") };
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = text;
  }
  return node;
}

function render(recipients, entries) {
  const tr = state.tr;
  const list = $("recipients");
  const rows = recipients.map((recipient, index) => {
    const entry = entries[index] || { address: recipient.address, state: "checking" };
    const kind = classify(entry);
    const row = element("li", "recipient");
    row.dataset.address = recipient.address;
    row.dataset.class = kind;
    row.dataset.internal = String(Boolean(entry.internal));
    if (entry.state === "ready" && entry.domainLevel !== null && entry.domainLevel !== undefined) {
      row.dataset.level = String(entry.domainLevel);
    }
    const badge = badgeFor(entry, kind, tr);
    const badgeNode = element("span", "badge", badge.text);
    badgeNode.setAttribute("role", "img");
    badgeNode.setAttribute("aria-label", badge.label);
    row.appendChild(badgeNode);
    const who = element("span", "who", recipient.name || recipient.address);
    if (recipient.name) {
      who.appendChild(document.createTextNode(" "));
      who.appendChild(element("span", "address", "<" + recipient.address + ">"));
    }
    who.appendChild(element("span", "kind", tr.t("kind." + recipient.kind)));
    row.appendChild(who);
    const decision = entry.state === "ready" ? tr.t("decision." + entry.decision) : tr.t("decision." + pendingKey(kind));
    row.appendChild(element("span", "decision", decision));
    const detail = kind === "unknown" && !entry.sentence ? tr.t("detail.unknown", { reason: entry.error || "?" }) : entry.sentence || entry.error;
    if (detail) {
      row.appendChild(element("p", "sentence", detail));
    }
    return row;
  });
  list.replaceChildren.apply(list, rows);
  $("recipients-empty").hidden = recipients.length > 0;
}

async function refresh() {
  const generation = ++state.generation;
  const tr = state.tr;
  $("app").setAttribute("aria-busy", "true");
  say(tr.t("app.loading"));
  let recipients;
  try {
    recipients = await getRecipients(state.office, state.item);
  } catch (error) {
    say(tr.t("recipients.failed", { error: error.message }));
    $("app").setAttribute("aria-busy", "false");
    return;
  }
  const level = chosenLevel();
  $("recipients-level").textContent = tr.t("recipients.atLevel", { level: level });
  render(recipients, []);
  const update = (entries) => {
    if (generation === state.generation) {
      render(recipients, entries);
      say(notificationText(entries, tr));
    }
  };
  const entries = await state.api.recipients(recipients.map((r) => r.address), level, chosenFallback(), { onUpdate: update, maxBatch: state.policy && state.policy.maxBatch });
  if (generation !== state.generation) {
    return;
  }
  render(recipients, entries);
  $("app").setAttribute("aria-busy", "false");
  say(notificationText(entries, tr));
}

async function applyRequest() {
  const tr = state.tr;
  const request = { on: $("request-on").checked, level: chosenLevel(), fallback: chosenFallback(), subject: $("request-subject").value };
  try {
    const written = await writeRequest(state.office, state.item, state.policy, request);
    $("request-state").textContent = request.on ? tr.t("request.set", { value: written.value }) : tr.t("request.off");
  } catch (error) {
    $("request-state").textContent = tr.t("request.failed", { error: error.message });
  }
}

function fillLevels(levels, selected) {
  const select = $("request-level");
  select.replaceChildren();
  for (const level of levels) {
    const option = element("option", null, state.tr.t("request.levelOption", { level: level, name: state.tr.t("level." + level) }));
    option.value = String(level);
    option.selected = level === selected;
    select.appendChild(option);
  }
}

function showUnsupported(policy) {
  const tr = state.tr;
  for (const id of ["request-on", "request-subject"]) {
    $(id).disabled = true;
  }
  $("request-unsupported").hidden = false;
  const rules = $("label-rules");
  for (const rule of (policy && policy.labelRules) || []) {
    const fallback = rule.fallback === "safe-part" ? tr.t("request.fallback.safePart") : tr.t("request.fallback.bounce");
    rules.appendChild(element("li", null, tr.t("request.labelRule", { label: rule.label, level: rule.level, fallback: fallback })));
  }
}

async function start(office) {
  state.office = office;
  state.tr = await loadTranslator(office);
  translateStatic(state.tr);
  if (!office || !office.context || !office.context.mailbox || !office.context.mailbox.item) {
    say(state.tr.t("app.noOffice"));
    return;
  }
  state.item = office.context.mailbox.item;
  state.api = createApiClient({ addinBase: folder, fetch: (url, init) => fetch(url, init) });
  state.policy = await state.api.policy();
  state.headers = supportsHeaders(office, state.item);

  const policy = state.policy || {};
  let request = { present: false, on: false, level: 0, fallback: policy.defaultFallback || "bounce", subject: "" };
  if (state.headers) {
    request = await readRequest(office, state.item, state.policy).catch(() => request);
  }
  const levels = Array.isArray(policy.levels) && policy.levels.length > 0 ? policy.levels : [1, 2, 3, 4];
  fillLevels(levels, request.on ? request.level : policy.defaultLevel || 1);
  $("request-on").checked = request.on;
  $(request.fallback === "safe-part" ? "fallback-safe-part" : "fallback-bounce").checked = true;
  $("request-subject").value = request.subject;
  if (state.headers) {
    $("request-state").textContent = request.on ? state.tr.t("request.set", { value: formatRequest(request) }) : state.tr.t("request.off");
  } else {
    showUnsupported(state.policy);
  }

  $("request-on").addEventListener("change", () => applyRequest().then(refresh));
  $("request-level").addEventListener("change", () => ($("request-on").checked ? applyRequest() : Promise.resolve()).then(refresh));
  for (const radio of document.querySelectorAll("input[name=fallback]")) {
    radio.addEventListener("change", () => ($("request-on").checked ? applyRequest() : Promise.resolve()).then(refresh));
  }
  $("request-subject").addEventListener("change", () => ($("request-on").checked ? applyRequest() : Promise.resolve()));

  await onRecipientsChanged(office, state.item, () => refresh()).catch(() => false);
  await refresh();
}

if (typeof Office === "object" && Office && typeof Office.onReady === "function") {
  Office.onReady().then(() => start(Office));
} else {
  start(null);
}
