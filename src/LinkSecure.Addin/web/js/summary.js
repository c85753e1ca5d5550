// Sentences for the sender: the one-line notification (OnMessageRecipientsChanged, ≤ 150 characters) and the
// Smart Alerts prompt (OnMessageSend, ≤ 500 characters), from the status API's entries
// (/api/v1/recipients, docs/addin.md). An entry the add-in could not get an answer for has state "unknown".

import { NOTIFICATION_LIMIT, SMART_ALERT_LIMIT, fitList, truncate } from "./text.js";

/** Room for one list of domains inside a Smart Alerts message. */
const ALERT_LIST_ROOM = 140;

/**
 * Sorts an entry into what the sender needs to know.
 * @param {{ state: string, decision?: string | null }} entry
 * @returns {"ok" | "bounce" | "downgrade" | "deferred" | "checking" | "invalid" | "unknown"}
 */
export function classify(entry) {
  if (entry.state === "ready") {
    switch (entry.decision) {
      case "Pass":
      case "Secure":
        return "ok";
      case "Bounce":
        return "bounce";
      case "Downgrade":
        return "downgrade";
      case "Defer":
        return "deferred";
      default:
        return "unknown";
    }
  }
  if (entry.state === "checking") {
    return "checking";
  }
  return entry.state === "error" ? "invalid" : "unknown";
}

/**
 * Counts the entries per class and collects the distinct domains of those below the level.
 * @param {Array<{ address: string, domain?: string | null, state: string, decision?: string | null }>} entries
 */
export function tally(entries) {
  const counts = { ok: 0, bounce: 0, downgrade: 0, deferred: 0, checking: 0, invalid: 0, unknown: 0 };
  const domains = { bounce: [], downgrade: [] };
  for (const entry of entries) {
    const kind = classify(entry);
    counts[kind]++;
    if (kind === "bounce" || kind === "downgrade") {
      const name = entry.domain || entry.address;
      if (domains[kind].indexOf(name) < 0) {
        domains[kind].push(name);
      }
    }
  }
  return { total: entries.length, counts: counts, below: domains.bounce.concat(domains.downgrade), domains: domains };
}

/**
 * The one-line notification: "2 of 3 recipients can receive this link-secure; smallshop.example cannot".
 * @param {Array<object>} entries the API's entries (one per recipient)
 * @param {import("./strings.js").Translator} tr
 * @returns {string} at most 150 characters
 */
export function notificationText(entries, tr) {
  const s = tally(entries);
  if (s.total === 0) {
    return truncate(tr.t("summary.none"), NOTIFICATION_LIMIT);
  }
  if (s.counts.unknown === s.total) {
    return truncate(tr.n("summary.noneChecked", s.total), NOTIFICATION_LIMIT);
  }
  const parts = [s.counts.ok === s.total ? tr.n("summary.allOk", s.total) : tr.t("summary.someOk", { ok: s.counts.ok, total: s.total })];
  const tail = [];
  if (s.counts.deferred > 0) {
    tail.push(tr.n("summary.deferred", s.counts.deferred));
  }
  if (s.counts.checking > 0) {
    tail.push(tr.n("summary.checking", s.counts.checking));
  }
  if (s.counts.unknown > 0) {
    tail.push(tr.n("summary.unknown", s.counts.unknown));
  }
  if (s.counts.invalid > 0) {
    tail.push(tr.n("summary.invalid", s.counts.invalid));
  }
  if (s.below.length > 0) {
    const empty = tr.t("summary.cannot", { domains: "" });
    const fixed = parts.concat(tail).join("; ").length + 2 + empty.length;
    const room = Math.max(20, NOTIFICATION_LIMIT - fixed);
    const list = fitList(s.below, room, (count) => tr.n("list.more", count));
    parts.push(tr.t("summary.cannot", { domains: list }));
  }
  return truncate(parts.concat(tail).join("; "), NOTIFICATION_LIMIT);
}

/**
 * What OnMessageSend does: allow, or stop with a Smart Alerts prompt naming the recipients below the level.
 * A recipient that could not be checked also prompts (the sender is told, never blocked silently).
 * @param {Array<object>} entries the API's entries for the requested level
 * @param {{ level: number, fallback: string }} request the request on the message
 * @param {import("./strings.js").Translator} tr
 * @returns {{ allow: boolean, message: string | null }} message at most 500 characters
 */
export function sendCheck(entries, request, tr) {
  if (!request || request.level === 0) {
    return { allow: true, message: null };
  }
  const s = tally(entries);
  const notChecked = s.counts.unknown + s.counts.checking;
  if (s.below.length === 0 && notChecked === 0) {
    return { allow: true, message: null };
  }
  const more = (count) => tr.n("list.more", count);
  const sentences = [tr.t("send.intro", { level: request.level })];
  if (s.domains.bounce.length > 0) {
    sentences.push(tr.t("send.bounce", { domains: fitList(s.domains.bounce, ALERT_LIST_ROOM, more) }));
  }
  if (s.domains.downgrade.length > 0) {
    sentences.push(tr.t("send.downgrade", { domains: fitList(s.domains.downgrade, ALERT_LIST_ROOM, more) }));
  }
  if (notChecked > 0) {
    sentences.push(tr.n("send.unknown", notChecked));
  }
  const question = tr.t("send.question");
  const body = truncate(sentences.join(" "), SMART_ALERT_LIMIT - question.length - 1);
  return { allow: false, message: body + " " + question };
}
