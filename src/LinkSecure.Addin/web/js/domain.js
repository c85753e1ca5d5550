// Recipient address → domain, the way the agent's DomainName.TryGetAddressDomain reads it
// (src/LinkSecure.Core/Protocol/DomainName.cs): trimmed, angle brackets dropped, the part after the last '@',
// a trailing dot dropped, IDNA A-label (RFC 5891 §4; the WHATWG URL parser's domain-to-ASCII), lower case,
// LDH labels of 1..63 characters (underscore allowed, as in the agent), at most 253 characters.
// Address literals (RFC 5321 §4.1.3, "user@[192.0.2.1]") have no domain policy: an error.
// The status API answers with its own normalisation; this module groups recipients and names domains when the
// API cannot be reached. ES2017 only: the classic Outlook JavaScript-only runtime runs the same code.

/** Characters that would make the URL parser read something other than a host name. */
const NOT_IN_HOST = /[\s/\\?#@:%[\]<>"^|{}]/;

/**
 * @param {string} text a domain in ASCII, lower case
 * @returns {boolean} whether it is a valid LDH domain (underscore allowed) of at most 253 characters
 */
export function isValidAsciiDomain(text) {
  if (text.length === 0 || text.length > 253) {
    return false;
  }
  const labels = text.split(".");
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || !/^[a-z0-9_-]+$/.test(label)) {
      return false;
    }
    if (label.charAt(0) === "-" || label.charAt(label.length - 1) === "-") {
      return false;
    }
  }
  return true;
}

/**
 * Converts a domain to its IDNA A-label form in lower case.
 * @param {string} domain a domain, possibly with U-labels, upper case or a trailing dot
 * @returns {string | null} the A-label domain, or null when it is not a valid domain
 */
export function normalizeDomain(domain) {
  if (typeof domain !== "string") {
    return null;
  }
  let text = domain.trim();
  if (text.endsWith(".")) {
    text = text.slice(0, -1);
  }
  if (text.length === 0 || text.length > 253) {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) {
    const lower = text.toLowerCase();
    return isValidAsciiDomain(lower) ? lower : null;
  }
  if (NOT_IN_HOST.test(text) || typeof URL !== "function") {
    return null;
  }
  let ascii;
  try {
    ascii = new URL("http://" + text + "/").hostname.toLowerCase();
  } catch (_) {
    return null;
  }
  if (ascii.endsWith(".")) {
    ascii = ascii.slice(0, -1);
  }
  return isValidAsciiDomain(ascii) ? ascii : null;
}

/**
 * Reads the domain of an e-mail address.
 * @param {string} address an address as Outlook gives it ("a@b.example", "<a@B.Example>")
 * @returns {{ address: string, domain: string | null, error: string | null }} the trimmed address, and its domain
 *   or the reason there is none ("not an e-mail address", "address literal", "invalid domain")
 */
export function recipientDomain(address) {
  const trimmed = typeof address === "string" ? address.trim() : "";
  let text = trimmed;
  if (text.startsWith("<") && text.endsWith(">")) {
    text = text.slice(1, -1).trim();
  }
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1) {
    return { address: trimmed, domain: null, error: "not an e-mail address" };
  }
  const part = text.slice(at + 1);
  if (part.startsWith("[")) {
    return { address: trimmed, domain: null, error: "address literal" };
  }
  const domain = normalizeDomain(part);
  return domain === null
    ? { address: trimmed, domain: null, error: "invalid domain" }
    : { address: trimmed, domain: domain, error: null };
}
