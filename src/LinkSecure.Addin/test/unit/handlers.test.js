import { test } from "node:test";
import assert from "node:assert/strict";
import { createHandlers, NOTIFICATION_KEY } from "../../web/js/handlers.js";
import { createFakeOffice } from "../support/fake-office-node.js";
import { catalogs, ready } from "../support/catalogs.js";

const people = {
  to: [{ emailAddress: "anna@partner.example", displayName: "Anna" }, { emailAddress: "carl@smallshop.example", displayName: "Carl" }],
  cc: [{ emailAddress: "bea@contoso.example", displayName: "Bea" }],
};

const decisions = { "partner.example": ["Secure", 3], "smallshop.example": ["Bounce", 0], "contoso.example": ["Pass", null] };

/** A fake status API client that records what it was asked. */
function fakeApi(options) {
  const asked = [];
  return {
    asked,
    policy: async () => (options && options.down ? null : { schemaVersion: 1, defaultLevel: 1, defaultFallback: "bounce", headerName: "Link-Security", maxBatch: 2 }),
    recipients: async (addresses, level, fallback, limits) => {
      asked.push({ addresses, level, fallback, maxBatch: limits.maxBatch });
      return addresses.map((a) => (options && options.down ? { address: a, state: "unknown", error: "Failed to fetch" } : ready(a, ...decisions[a.split("@")[1]])));
    },
  };
}

function setup(config, apiOptions) {
  const { Office, fake } = createFakeOffice(Object.assign({}, people, config));
  const api = fakeApi(apiOptions);
  const handlers = createHandlers({ office: Office, api, catalogs });
  return { fake, api, handlers };
}

function run(handler) {
  return new Promise((resolve) => handler({ completed: (options) => resolve(options) }));
}

test("onRecipientsChanged: a persistent informational notification with the summary; completed", async () => {
  const { fake, api, handlers } = setup({});
  const options = await run(handlers.onRecipientsChanged);
  assert.equal(options, undefined);
  assert.deepEqual(api.asked[0], { addresses: ["anna@partner.example", "carl@smallshop.example", "bea@contoso.example"], level: 1, fallback: undefined, maxBatch: 2 });
  const note = fake.notifications[NOTIFICATION_KEY];
  assert.equal(note.message, "2 of 3 recipients can receive this link-secure; smallshop.example cannot");
  assert.equal(note.type, "informationalMessage");
  assert.equal(note.persistent, true);
});

test("onRecipientsChanged: with a request on the message, decisions are for its level and fallback", async () => {
  const { api, handlers } = setup({ initialHeaders: { "Link-Security": "level=3; fallback=safe-part" } });
  await run(handlers.onRecipientsChanged);
  assert.equal(api.asked[0].level, 3);
  assert.equal(api.asked[0].fallback, "safe-part");
});

test("onRecipientsChanged: German display language gives a German notification", async () => {
  const { fake, handlers } = setup({ displayLanguage: "de-AT" });
  await run(handlers.onRecipientsChanged);
  assert.equal(fake.notifications[NOTIFICATION_KEY].message, "2 von 3 Empfängern können sie verbindungssicher erhalten; smallshop.example nicht");
});

test("onMessageSend: request on and a recipient below the level → not allowed, the prompt names the domain", async () => {
  const { handlers } = setup({ initialHeaders: { "Link-Security": "level=2; fallback=bounce" } });
  const options = await run(handlers.onMessageSend);
  assert.equal(options.allowEvent, false);
  assert.match(options.errorMessage, /returned to you for them: smallshop\.example\./);
  assert.ok(options.errorMessage.length <= 500);
});

test("onMessageSend: no request, level=0, or everyone reachable → allowed without asking the service", async () => {
  for (const headers of [{}, { "Link-Security": "level=0" }]) {
    const { api, handlers } = setup({ initialHeaders: headers });
    assert.deepEqual(await run(handlers.onMessageSend), { allowEvent: true });
    assert.equal(api.asked.length, 0);
  }
  const { handlers } = setup({ initialHeaders: { "Link-Security": "level=1" }, to: [people.to[0]], cc: [] });
  assert.deepEqual(await run(handlers.onMessageSend), { allowEvent: true });
});

test("onMessageSend: the service down → prompt saying the recipients could not be checked", async () => {
  const { handlers } = setup({ initialHeaders: { "Link-Security": "level=2; fallback=bounce" } }, { down: true });
  const options = await run(handlers.onMessageSend);
  assert.equal(options.allowEvent, false);
  assert.match(options.errorMessage, /could not be checked for 3 recipients/);
});

test("onMessageSend: a client without internetHeaders cannot carry the add-in's request → allowed", async () => {
  const { api, handlers } = setup({ headers: false, maxMailbox: "1.5" });
  assert.deepEqual(await run(handlers.onMessageSend), { allowEvent: true });
  assert.equal(api.asked.length, 0);
});

test("onMessageSend: an unexpected failure still completes the event, with a prompt that says so", async () => {
  const broken = createHandlers({ office: { context: { displayLanguage: "en-US" } }, api: fakeApi(), catalogs });
  const options = await run(broken.onMessageSend);
  assert.equal(options.allowEvent, false);
  assert.match(options.errorMessage, /could not be checked/);
});
