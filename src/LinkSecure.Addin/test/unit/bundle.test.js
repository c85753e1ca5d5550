// The bundled web/launchevent.js in a context like classic Outlook's JavaScript-only runtime: no DOM, no
// location, no import; Office.context.urls.javascriptRuntimeUrl tells the add-in's URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import vm from "node:vm";
import { bundle } from "../../scripts/build-launchevent.mjs";
import { createFakeOffice } from "../support/fake-office-node.js";

const web = new URL("../../web/", import.meta.url);

function runBundle(office, fetch, code) {
  const context = { Office: office, fetch, URL, setTimeout, clearTimeout, Promise, Intl, console };
  vm.createContext(context);
  vm.runInContext(code || bundle(web), context);
}

test("bundle: associates both FunctionName values of the manifest", () => {
  const { Office, fake } = createFakeOffice({});
  runBundle(Office, () => Promise.reject(new Error("unused")));
  assert.deepEqual(Object.keys(fake.associated).sort(), ["onMessageSend", "onRecipientsChanged"]);
});

test("bundle: the API is reached relative to javascriptRuntimeUrl; the notification is set", async () => {
  const { Office, fake } = createFakeOffice({
    to: [{ emailAddress: "anna@partner.example", displayName: "Anna" }],
    javascriptRuntimeUrl: "https://ls.contoso.example/addin/launchevent.js",
  });
  const asked = [];
  const fetch = async (url) => {
    asked.push(url);
    const u = new URL(url);
    const body = u.pathname.endsWith("/policy")
      ? { schemaVersion: 1, defaultLevel: 1, defaultFallback: "bounce" }
      : { recipients: u.searchParams.getAll("address").map((address) => ({ address, domain: "partner.example", state: "ready", decision: "Secure", domainLevel: 3 })) };
    return { ok: true, status: 200, json: async () => body };
  };
  runBundle(Office, fetch);
  await fake.runEvent("onRecipientsChanged");
  assert.deepEqual(asked.map((u) => new URL(u).pathname), ["/api/v1/policy", "/api/v1/recipients"]);
  assert.equal(fake.notifications["linksecure-status"].message, "The recipient can receive this link-secure");
});

test("bundle: without any URL for the add-in, send still completes and says it could not check", async () => {
  const { Office, fake } = createFakeOffice({ to: [{ emailAddress: "anna@partner.example" }], initialHeaders: { "Link-Security": "level=2; fallback=bounce" } });
  let fetched = 0;
  runBundle(Office, () => { fetched++; return Promise.reject(new Error("must not be called")); });
  const options = await fake.runEvent("onMessageSend");
  assert.equal(fetched, 0);
  assert.equal(options.allowEvent, false);
  assert.match(options.errorMessage, /could not be checked for 1 recipient;/);
});

test("bundle: before Mailbox 1.14, a base URL the server wrote into the bundle is used", async () => {
  const { Office, fake } = createFakeOffice({ to: [{ emailAddress: "anna@partner.example" }], initialHeaders: { "Link-Security": "level=1" } });
  const asked = [];
  const fetch = async (url) => {
    asked.push(url);
    return { ok: true, status: 200, json: async () => ({ schemaVersion: 1, recipients: [{ address: "anna@partner.example", state: "ready", decision: "Secure" }] }) };
  };
  const code = bundle(web).replace('"__LINKSECURE_BASE_URL__"', '"https://ls.contoso.example:8443"');
  runBundle(Office, fetch, code);
  assert.equal((await fake.runEvent("onMessageSend")).allowEvent, true);
  assert.ok(asked.every((u) => u.startsWith("https://ls.contoso.example:8443/api/v1/")), asked.join(" "));
});

test("bundle: unsupported module syntax is refused rather than bundled wrongly", async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, cpSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  const dir = mkdtempSync(join(tmpdir(), "addin-bundle-"));
  cpSync(new URL("js/", web), join(dir, "js"), { recursive: true });
  mkdirSync(join(dir, "locales"));
  writeFileSync(join(dir, "locales", "en-US.json"), "{}");
  writeFileSync(join(dir, "js", "text.js"), "export default function x() {}\n");
  assert.throws(() => bundle(pathToFileURL(dir + "/")), /text\.js: unsupported module syntax/);
  writeFileSync(join(dir, "js", "text.js"), "export function truncate() {}\nexport function recipientDomain() {}\n");
  assert.throws(() => bundle(pathToFileURL(dir + "/")), /'recipientDomain' is also declared in domain\.js/);
});
