// The request on the item being composed: read from and written to its internet headers (Mailbox 1.8).
// The header on the item is the source of truth, shared by the task pane and the event handlers (they run in
// different runtimes and share no storage).

import { HEADER_NAME, SUBJECT_HEADER_NAME, formatRequest, formatSubject, parseRequest } from "./header.js";
import { getHeaders, removeHeaders, setHeaders } from "./office-adapter.js";

/** The header names the agent reads (docs/protocol.md §2); a policy may only choose among these. */
const REQUEST_NAMES = ["Link-Security", "X-Link-Security"];

/**
 * @param {object | null} policy the status API's policy
 * @returns {{ request: string, subject: string }} the header names to write
 */
export function headerNames(policy) {
  const wanted = policy && policy.headerName;
  const request = REQUEST_NAMES.filter((name) => typeof wanted === "string" && name.toLowerCase() === wanted.toLowerCase())[0];
  return { request: request || HEADER_NAME, subject: SUBJECT_HEADER_NAME };
}

function valueOf(headers, name) {
  for (const key of Object.keys(headers || {})) {
    if (key.toLowerCase() === name.toLowerCase()) {
      return headers[key];
    }
  }
  return undefined;
}

/**
 * Reads the request on the item.
 * @returns {Promise<{ present: boolean, on: boolean, level: number, fallback: string, subject: string,
 *   problem: string | null }>} present: the header is on the item; on: it requests a level of 1 or more
 */
export async function readRequest(office, item, policy) {
  const names = headerNames(policy);
  const headers = await getHeaders(office, item, [names.request, names.subject]);
  const value = valueOf(headers, names.request);
  const subject = valueOf(headers, names.subject) || "";
  if (value === undefined || value === null || value === "") {
    return { present: false, on: false, level: 0, fallback: (policy && policy.defaultFallback) || "bounce", subject: subject, problem: null };
  }
  const parsed = parseRequest(value);
  return { present: true, on: parsed.level > 0, level: parsed.level, fallback: parsed.fallback, subject: subject, problem: parsed.problem };
}

/**
 * Writes the request: "level=N; fallback=F" when on, "level=0" when off; the neutral subject when given (and on),
 * otherwise the subject header is removed.
 * @param {{ on: boolean, level: number, fallback: string, subject?: string }} request
 * @returns {Promise<{ value: string, subject: string }>} what was written
 */
export async function writeRequest(office, item, policy, request) {
  const names = headerNames(policy);
  const value = request.on ? formatRequest({ level: request.level, fallback: request.fallback }) : formatRequest({ level: 0 });
  const subject = request.on ? formatSubject(request.subject || "", names.subject) : "";
  const headers = {};
  headers[names.request] = value;
  if (subject) {
    headers[names.subject] = subject;
  }
  await setHeaders(office, item, headers);
  if (!subject) {
    await removeHeaders(office, item, [names.subject]);
  }
  return { value: value, subject: subject };
}
