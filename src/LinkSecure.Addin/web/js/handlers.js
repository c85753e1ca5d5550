// Event-based activation (classic Outlook on Windows; docs/addin.md):
//  - OnMessageRecipientsChanged → a one-line summary in a persistent informational notification (replaceAsync);
//  - OnMessageSend (Smart Alerts, PromptUser) → when the request is on and a recipient would bounce, get only the
//    safe part, or could not be checked: event.completed({ allowEvent: false, errorMessage }) naming them, so
//    Outlook offers "Send Anyway" / "Don't Send". The handlers always call event.completed; a failure of the service
//    never blocks without saying so.

import { notificationText, sendCheck } from "./summary.js";
import { createTranslator, pickLocale, DEFAULT_LOCALE } from "./strings.js";
import { displayLanguage, getRecipients, showNotification, supportsHeaders } from "./office-adapter.js";
import { readRequest } from "./request.js";

export const NOTIFICATION_KEY = "linksecure-status";

/** Lookups in OnMessageSend: one poll of "checking" entries, waiting at most 1 s, to stay under Outlook's 5 s. */
const SEND_LIMITS = { maxPolls: 1, maxWaitMs: 1000 };
const CHANGE_LIMITS = { maxPolls: 2, maxWaitMs: 2000 };

/**
 * @param {object} deps
 * @param {object} deps.office the Office global
 * @param {ReturnType<import("./api.js").createApiClient>} deps.api
 * @param {Record<string, Record<string, string>>} deps.catalogs locale → catalog
 */
export function createHandlers(deps) {
  const office = deps.office;
  const api = deps.api;

  function translator() {
    const locale = pickLocale(displayLanguage(office), Object.keys(deps.catalogs));
    return createTranslator(locale, deps.catalogs[locale], deps.catalogs[DEFAULT_LOCALE]);
  }

  async function context() {
    const item = office.context.mailbox.item;
    const policy = await api.policy();
    const request = supportsHeaders(office, item) ? await readRequest(office, item, policy).catch(() => null) : null;
    const recipients = await getRecipients(office, item);
    return { item: item, policy: policy, request: request, recipients: recipients };
  }

  /** Shows "2 of 3 recipients can receive this link-secure; smallshop.example cannot". */
  async function onRecipientsChanged(event) {
    try {
      const c = await context();
      // Without a request on the message, show what the organisation's default request would do.
      const level = c.request && c.request.on ? c.request.level : (c.policy && c.policy.defaultLevel) || 1;
      const fallback = c.request && c.request.on ? c.request.fallback : undefined;
      const limits = Object.assign({ maxBatch: c.policy && c.policy.maxBatch }, CHANGE_LIMITS);
      const entries = await api.recipients(c.recipients.map((r) => r.address), level, fallback, limits);
      await showNotification(office, c.item, NOTIFICATION_KEY, notificationText(entries, translator()));
    } catch (error) {
      // Nothing to block here; the task pane shows the details.
    } finally {
      event.completed();
    }
  }

  /** Lets the message go, or prompts naming the recipients the request cannot reach link-secure. */
  async function onMessageSend(event) {
    let options = { allowEvent: true };
    const tr = translator();
    try {
      const c = await context();
      if (c.request && c.request.on) {
        const limits = Object.assign({ maxBatch: c.policy && c.policy.maxBatch }, SEND_LIMITS);
        const entries = await api.recipients(c.recipients.map((r) => r.address), c.request.level, c.request.fallback, limits);
        const check = sendCheck(entries, c.request, tr);
        if (!check.allow) {
          options = { allowEvent: false, errorMessage: check.message };
        }
      }
    } catch (error) {
      const check = sendCheck([{ address: "", state: "unknown" }], { level: 1, fallback: "bounce" }, tr);
      options = { allowEvent: false, errorMessage: check.message };
    }
    event.completed(options);
  }

  return { onRecipientsChanged: onRecipientsChanged, onMessageSend: onMessageSend };
}
