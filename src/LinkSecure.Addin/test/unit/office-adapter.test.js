import { test } from "node:test";
import assert from "node:assert/strict";
import { supportsMailbox, supportsHeaders, getRecipients, setHeaders, onRecipientsChanged, showNotification, displayLanguage } from "../../web/js/office-adapter.js";
import { createFakeOffice } from "../support/fake-office-node.js";

test("getRecipients: To, Cc and Bcc with their kind, in that order", async () => {
  const { Office } = createFakeOffice({ to: [{ emailAddress: "a@x.example", displayName: "A" }], cc: [{ emailAddress: "b@y.example" }], bcc: [{ emailAddress: "c@z.example", displayName: "C" }] });
  assert.deepEqual(await getRecipients(Office, Office.context.mailbox.item), [
    { address: "a@x.example", name: "A", kind: "to" },
    { address: "b@y.example", name: "", kind: "cc" },
    { address: "c@z.example", name: "C", kind: "bcc" },
  ]);
});

test("a failed Office call rejects with Office's error message", async () => {
  const { Office } = createFakeOffice({});
  const item = Office.context.mailbox.item;
  item.internetHeaders.setAsync = (headers, callback) => setTimeout(() => callback({ status: "failed", error: { name: "InvalidOperation", message: "The header quota is exceeded." } }), 0);
  await assert.rejects(setHeaders(Office, item, { "Link-Security": "level=1" }), { message: "The header quota is exceeded." });
});

test("feature detection: headers need 1.8 and the object; RecipientsChanged 1.7; notifications 1.3", async () => {
  const old = createFakeOffice({ maxMailbox: "1.6" });
  assert.equal(supportsMailbox(old.Office, "1.6"), true);
  assert.equal(supportsMailbox(old.Office, "1.7"), false);
  assert.equal(supportsHeaders(old.Office, old.Office.context.mailbox.item), false);
  assert.equal(await onRecipientsChanged(old.Office, old.Office.context.mailbox.item, () => {}), false);
  assert.equal(supportsMailbox(undefined, "1.1"), false);

  const noHeaders = createFakeOffice({ maxMailbox: "1.12", headers: false });
  assert.equal(supportsHeaders(noHeaders.Office, noHeaders.Office.context.mailbox.item), false);

  const minimum = createFakeOffice({ maxMailbox: "1.1" });
  await showNotification(minimum.Office, minimum.Office.context.mailbox.item, "k", "text");
  assert.deepEqual(Object.keys(minimum.fake.notifications), []);

  const modern = createFakeOffice({ maxMailbox: "1.12" });
  assert.equal(await onRecipientsChanged(modern.Office, modern.Office.context.mailbox.item, () => {}), true);
  assert.equal(modern.fake.handlers.olkRecipientsChanged.length, 1);
});

test("displayLanguage: Outlook's, else en-US", () => {
  assert.equal(displayLanguage(createFakeOffice({ displayLanguage: "de-CH" }).Office), "de-CH");
  assert.equal(displayLanguage({}), "en-US");
});
