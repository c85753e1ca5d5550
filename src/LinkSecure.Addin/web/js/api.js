// Client of the status API (same origin as the add-in; docs/addin.md "Status API"):
//   GET <base>/api/v1/policy
//   GET <base>/api/v1/recipients?level=N&fallback=F&address=…&address=…   (1..maxBatch addresses)
// Every request has a time limit (2 s by default); a request that fails, times out or is rate-limited (429)
// turns its entries into state "unknown" with the reason, so callers say "could not be checked" and never block
// on the service. Entries in state "checking" are asked for again after retryAfterSeconds, a bounded number of
// times. ES2017 only (the classic Outlook JavaScript-only runtime runs this too).

import { recipientDomain } from "./domain.js";

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_MAX_BATCH = 100;

/**
 * @param {object} options
 * @param {string | URL} options.addinBase the URL of the add-in's folder, e.g. "https://ls.contoso.com/addin/"
 * @param {typeof fetch} options.fetch
 * @param {number} [options.timeoutMs]
 * @param {(ms: number) => Promise<void>} [options.sleep]
 */
export function createApiClient(options) {
  const apiBase = new URL("../api/v1/", options.addinBase);
  const fetchImpl = options.fetch;
  const timeoutMs = options.timeoutMs || DEFAULT_TIMEOUT_MS;
  const sleep = options.sleep || ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));

  async function getJson(url) {
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    let timer = null;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        if (controller) {
          controller.abort();
        }
        reject(new Error("timeout"));
      }, timeoutMs);
    });
    try {
      const init = { headers: { accept: "application/json" }, cache: "no-store", credentials: "same-origin" };
      if (controller) {
        init.signal = controller.signal;
      }
      const response = await Promise.race([fetchImpl(url.toString(), init), timeout]);
      if (response.status === 429) {
        throw new Error("rate limited");
      }
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return await Promise.race([response.json(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** @returns {Promise<object | null>} the policy, or null when the service cannot be reached */
  async function policy() {
    try {
      const body = await getJson(new URL("policy", apiBase));
      return body && body.schemaVersion === 1 ? body : null;
    } catch (_) {
      return null;
    }
  }

  async function batch(addresses, level, fallback) {
    const url = new URL("recipients", apiBase);
    url.searchParams.set("level", String(level));
    if (fallback) {
      url.searchParams.set("fallback", fallback);
    }
    for (const address of addresses) {
      url.searchParams.append("address", address);
    }
    try {
      const body = await getJson(url);
      const byAddress = new Map();
      for (const entry of (body && body.recipients) || []) {
        byAddress.set(String(entry.address).toLowerCase(), entry);
      }
      return addresses.map((address) => byAddress.get(address.toLowerCase()) || unknownEntry(address, "no answer for this address"));
    } catch (error) {
      return addresses.map((address) => unknownEntry(address, error && error.message ? error.message : String(error)));
    }
  }

  /**
   * Asks for the decision of every address at a level.
   * @param {string[]} addresses recipients' addresses (duplicates are asked for once)
   * @param {number} level 0..4
   * @param {string | undefined} fallback "bounce" or "safe-part"; undefined means the policy's default
   * @param {{ maxBatch?: number, maxPolls?: number, maxWaitMs?: number, onUpdate?: (entries: object[]) => void }} [limits]
   *   onUpdate is called with the entries so far after the first answer and after each poll
   * @returns {Promise<object[]>} one entry per input address, in input order
   */
  async function recipients(addresses, level, fallback, limits) {
    const opts = limits || {};
    const maxBatch = Math.max(1, Math.min(opts.maxBatch || DEFAULT_MAX_BATCH, DEFAULT_MAX_BATCH));
    const maxPolls = opts.maxPolls === undefined ? 3 : opts.maxPolls;
    const maxWaitMs = opts.maxWaitMs === undefined ? 5000 : opts.maxWaitMs;
    const unique = [];
    const seen = new Set();
    for (const raw of addresses) {
      const address = String(raw).trim();
      if (address.length > 0 && !seen.has(address.toLowerCase())) {
        seen.add(address.toLowerCase());
        unique.push(address);
      }
    }
    const answers = new Map();
    const ask = async (list) => {
      for (let i = 0; i < list.length; i += maxBatch) {
        const part = list.slice(i, i + maxBatch);
        const entries = await batch(part, level, fallback);
        entries.forEach((entry, index) => answers.set(part[index].toLowerCase(), entry));
      }
    };
    const current = () => addresses.map((raw) => {
      const address = String(raw).trim();
      return answers.get(address.toLowerCase()) || unknownEntry(address, "empty address");
    });
    await ask(unique);
    if (opts.onUpdate) {
      opts.onUpdate(current());
    }
    for (let poll = 0; poll < maxPolls; poll++) {
      const pending = unique.filter((address) => answers.get(address.toLowerCase()).state === "checking");
      if (pending.length === 0) {
        break;
      }
      const after = Math.max.apply(null, pending.map((address) => Number(answers.get(address.toLowerCase()).retryAfterSeconds) || 1));
      await sleep(Math.min(after * 1000, maxWaitMs));
      await ask(pending);
      if (opts.onUpdate) {
        opts.onUpdate(current());
      }
    }
    return current();
  }

  return { policy: policy, recipients: recipients, apiBase: apiBase.toString() };
}

/**
 * An entry for an address the service did not answer for.
 * @param {string} address
 * @param {string} reason why (timeout, HTTP status, network error)
 */
export function unknownEntry(address, reason) {
  return {
    address: address,
    domain: recipientDomain(address).domain,
    state: "unknown",
    internal: false,
    domainLevel: null,
    decision: null,
    statusCode: null,
    sentence: null,
    evidence: null,
    profileAgeSeconds: null,
    retryAfterSeconds: null,
    error: reason,
  };
}
