// Text limits of the Outlook surfaces: a notification message is at most 150 characters, a Smart Alerts
// errorMessage at most 500 (@types/office-js NotificationMessageDetails.message; SmartAlertsEventCompletedOptions).

export const NOTIFICATION_LIMIT = 150;
export const SMART_ALERT_LIMIT = 500;

const ELLIPSIS = "…";

/**
 * Cuts a text to at most max characters (code points), at a word boundary when one is near, ending in "…".
 * @param {string} text
 * @param {number} max at least 1
 * @returns {string}
 */
export function truncate(text, max) {
  const chars = Array.from(String(text));
  if (chars.length <= max) {
    return chars.join("");
  }
  const cut = chars.slice(0, max - 1).join("");
  const space = cut.lastIndexOf(" ");
  const head = space >= Math.floor(max * 0.6) ? cut.slice(0, space) : cut;
  return head.replace(/[\s,;:.]+$/, "") + ELLIPSIS;
}

/**
 * Joins as many names as fit into max characters, then says how many more there are.
 * @param {string[]} names
 * @param {number} max the room for the joined list
 * @param {(count: number) => string} more formats "and N more" in the display language
 * @returns {string} "a.example, b.example and 3 more"; never longer than max unless even one name does not fit
 *   (then the first name is truncated)
 */
export function fitList(names, max, more) {
  if (names.length === 0) {
    return "";
  }
  const all = names.join(", ");
  if (Array.from(all).length <= max) {
    return all;
  }
  for (let shown = names.length - 1; shown >= 1; shown--) {
    const text = names.slice(0, shown).join(", ") + " " + more(names.length - shown);
    if (Array.from(text).length <= max) {
      return text;
    }
  }
  return truncate(names[0], max);
}
