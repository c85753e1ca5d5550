// The few Office.js calls the add-in makes, as Promises, with feature detection. The manifest's minimum is
// Mailbox 1.1 (Exchange on-premises accepts at most 1.5); internetHeaders needs 1.8, RecipientsChanged 1.7,
// notificationMessages.replaceAsync 1.3. Every callback error becomes a rejected Promise with the Office error's
// message.

/**
 * @param {object} office the Office global
 * @param {string} version e.g. "1.8"
 * @returns {boolean} whether the client supports the Mailbox requirement set
 */
export function supportsMailbox(office, version) {
  const requirements = office && office.context && office.context.requirements;
  return Boolean(requirements && typeof requirements.isSetSupported === "function" && requirements.isSetSupported("Mailbox", version));
}

/** @returns {boolean} whether the item can carry internet headers (Mailbox 1.8 and the object present) */
export function supportsHeaders(office, item) {
  return supportsMailbox(office, "1.8") && Boolean(item && item.internetHeaders && typeof item.internetHeaders.setAsync === "function");
}

function call(office, target, method, args) {
  return new Promise((resolve, reject) => {
    target[method].apply(target, args.concat([(result) => {
      if (result && result.status === office.AsyncResultStatus.Succeeded) {
        resolve(result.value);
      } else {
        const error = result && result.error;
        reject(new Error(error && error.message ? error.message : method + " failed"));
      }
    }]));
  });
}

/**
 * Reads every To, Cc and Bcc recipient of the item being composed (Mailbox 1.1).
 * @returns {Promise<Array<{ address: string, name: string, kind: "to" | "cc" | "bcc" }>>}
 */
export async function getRecipients(office, item) {
  const kinds = ["to", "cc", "bcc"];
  const lists = await Promise.all(kinds.map((kind) => (item[kind] && typeof item[kind].getAsync === "function" ? call(office, item[kind], "getAsync", []) : Promise.resolve([]))));
  const all = [];
  lists.forEach((list, index) => {
    for (const recipient of list || []) {
      all.push({ address: String(recipient.emailAddress || ""), name: String(recipient.displayName || ""), kind: kinds[index] });
    }
  });
  return all;
}

/** @returns {Promise<Record<string, string>>} the named internet headers present on the item (Mailbox 1.8) */
export function getHeaders(office, item, names) {
  return call(office, item.internetHeaders, "getAsync", [names]);
}

/** Sets internet headers on the item (Mailbox 1.8). */
export function setHeaders(office, item, headers) {
  return call(office, item.internetHeaders, "setAsync", [headers]);
}

/** Removes internet headers from the item (Mailbox 1.8). */
export function removeHeaders(office, item, names) {
  return call(office, item.internetHeaders, "removeAsync", [names]);
}

/** Shows or replaces the add-in's persistent informational notification (Mailbox 1.3). */
export function showNotification(office, item, key, message) {
  if (!item.notificationMessages || !supportsMailbox(office, "1.3")) {
    return Promise.resolve();
  }
  const details = {
    type: office.MailboxEnums.ItemNotificationMessageType.InformationalMessage,
    message: message,
    icon: "Icon.16x16",
    persistent: true,
  };
  return call(office, item.notificationMessages, "replaceAsync", [key, details]);
}

/** Registers a handler for the item's RecipientsChanged event when the client supports it (Mailbox 1.7). */
export function onRecipientsChanged(office, item, handler) {
  if (!supportsMailbox(office, "1.7") || typeof item.addHandlerAsync !== "function") {
    return Promise.resolve(false);
  }
  return call(office, item, "addHandlerAsync", [office.EventType.RecipientsChanged, handler]).then(() => true);
}

/** @returns {string} Outlook's display language (Office.context.displayLanguage), "en-US" when unknown */
export function displayLanguage(office) {
  return (office && office.context && office.context.displayLanguage) || "en-US";
}
