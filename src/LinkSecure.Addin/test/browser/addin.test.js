// The add-in in headless Chromium against a real `linksecure serve` on 127.0.0.1, with a fake Office.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, openAddinPage, paneSettled, screenshot, rows } from "./harness.js";

const person = (emailAddress, displayName) => ({ emailAddress, displayName });
const recipients = {
  to: [person("anna@partner.example", "Anna Partner"), person("carl@legacy.example", "Carl Legacy")],
  cc: [person("bea@contoso.example", "Bea Colleague")],
  bcc: [person("dan@basic.example", "Dan Basic")],
};

const world = useWorld();

/** Opens a page, runs the body, then asserts that nothing left the loopback origin and no script failed. */
async function withPage(config, options, body) {
  const pane = await openAddinPage(world.browser, world.serve.origin, config, options);
  try {
    await body(pane);
    assert.deepEqual(pane.outside, [], "requests outside the loopback origin");
    assert.deepEqual(pane.errors, [], "script errors");
  } finally {
    await pane.close();
  }
}

test("recipients get level badges and decisions; a change of recipients refreshes them", async () => {
  await withPage(recipients, {}, async ({ page, apiCalls }) => {
    await paneSettled(page);
    assert.deepEqual(await rows(page), [
      { address: "anna@partner.example", cls: "ok", level: 3, badge: "L3", decision: "Link-secure" },
      { address: "carl@legacy.example", cls: "bounce", level: 0, badge: "L0", decision: "Returned to you" },
      { address: "bea@contoso.example", cls: "ok", level: null, badge: "Internal", decision: "Delivered normally" },
      { address: "dan@basic.example", cls: "ok", level: 1, badge: "L1", decision: "Link-secure" },
    ]);
    assert.equal(await page.textContent("#status"), "3 of 4 recipients can receive this link-secure; legacy.example cannot");
    await screenshot(page, "1-recipients");

    const before = apiCalls.length;
    await page.evaluate(() => window.__fake.changeRecipients("to", [
      { emailAddress: "anna@partner.example", displayName: "Anna Partner" },
      { emailAddress: "eve@smallshop.example", displayName: "Eve Smallshop" },
    ]));
    await page.waitForFunction(() => document.querySelector("#recipients li[data-address='eve@smallshop.example'][data-class='bounce']"));
    await paneSettled(page);
    assert.ok(apiCalls.length > before, "the change asked the service again");
    const after = await rows(page);
    assert.deepEqual(after.map((r) => [r.address, r.badge]), [
      ["anna@partner.example", "L3"], ["eve@smallshop.example", "L0"], ["bea@contoso.example", "Internal"], ["dan@basic.example", "L1"],
    ]);
    assert.equal(await page.textContent("#status"), "3 of 4 recipients can receive this link-secure; smallshop.example cannot");
  });
});

test("the toggle sets Link-Security exactly as the agent parses it; off is level=0", async () => {
  await withPage(recipients, {}, async ({ page, fake }) => {
    await paneSettled(page);
    await page.check("#request-on");
    await page.waitForFunction(() => window.__fake.headers["Link-Security"] === "level=1; fallback=bounce");

    await page.selectOption("#request-level", "2");
    await page.waitForFunction(() => window.__fake.headers["Link-Security"] === "level=2; fallback=bounce");
    await page.waitForFunction(() => document.querySelector("#recipients li[data-address='dan@basic.example']").dataset.class === "bounce");
    await paneSettled(page);

    await page.check("#fallback-safe-part");
    await page.waitForFunction(() => window.__fake.headers["Link-Security"] === "level=2; fallback=safe-part");
    await page.waitForFunction(() => document.querySelector("#recipients li[data-address='dan@basic.example']").dataset.class === "downgrade");
    await paneSettled(page);

    await page.fill("#request-subject", "Your documents are ready");
    await page.press("#request-subject", "Tab");
    await page.waitForFunction(() => window.__fake.headers["Link-Security-Subject"] === "Your documents are ready");
    assert.equal(await page.textContent("#request-state"), "Requested: level=2; fallback=safe-part");
    assert.deepEqual((await rows(page)).map((r) => r.decision), ["Link-secure", "Safe part only", "Delivered normally", "Safe part only"]);
    await screenshot(page, "2-request-on");

    // A line break in the neutral subject must not start a new header field.
    await page.fill("#request-subject", "A document\r\nBcc: x@evil.example");
    await page.press("#request-subject", "Tab");
    await page.waitForFunction(() => window.__fake.headers["Link-Security-Subject"] !== "Your documents are ready");
    let state = await fake();
    assert.equal(state.headers["Link-Security-Subject"], "A document Bcc: x@evil.example");
    assert.deepEqual(Object.keys(state.headers).sort(), ["Link-Security", "Link-Security-Subject"]);

    await page.uncheck("#request-on");
    // Turning the request off writes level=0 and then removes the subject field: wait for both writes.
    await page.waitForFunction(() => window.__fake.headers["Link-Security"] === "level=0" && !("Link-Security-Subject" in window.__fake.headers));
    state = await fake();
    assert.deepEqual(state.headers, { "Link-Security": "level=0" });
    assert.equal(await page.textContent("#request-state"), "No link-secure request on this message.");
  });
});

test("send with a recipient below the level prompts naming them; a reachable set sends", async () => {
  const config = Object.assign({}, recipients, { initialHeaders: { "Link-Security": "level=2; fallback=bounce" } });
  await withPage(config, { page: "commands.html" }, async ({ page }) => {
    const options = await page.evaluate(() => window.__fake.runEvent("onMessageSend"));
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage,
      "You asked for link-secure delivery (level 2). These recipients cannot receive it link-secure, so it will be returned to you for them: " +
      "legacy.example, basic.example. Send anyway, or go back and change the recipients or the request?");
    await page.evaluate(() => window.__fake.runEvent("onRecipientsChanged"));
    const fake = await page.evaluate(() => window.__fake.notifications["linksecure-status"]);
    assert.equal(fake.message, "2 of 4 recipients can receive this link-secure; legacy.example, basic.example cannot");
  });
  const reachable = { to: [person("anna@partner.example", "Anna")], cc: [person("bea@contoso.example", "Bea")], initialHeaders: { "Link-Security": "level=3; fallback=bounce" } };
  await withPage(reachable, { page: "commands.html" }, async ({ page }) => {
    assert.deepEqual(await page.evaluate(() => window.__fake.runEvent("onMessageSend")), { allowEvent: true });
  });
});

test("the service down: the pane and the send check say 'could not be checked'", async () => {
  await withPage(recipients, { apiDown: true }, async ({ page, apiCalls }) => {
    await paneSettled(page);
    assert.ok(apiCalls.length > 0);
    assert.equal(await page.textContent("#status"), "Link security could not be checked for 4 recipients");
    assert.deepEqual((await rows(page)).map((r) => [r.cls, r.badge, r.decision]), Array(4).fill(["unknown", "?", "Could not be checked"]));
    await screenshot(page, "3-service-down");
  });
  const config = Object.assign({}, recipients, { initialHeaders: { "Link-Security": "level=1; fallback=bounce" } });
  await withPage(config, { page: "commands.html", apiDown: true }, async ({ page }) => {
    const options = await page.evaluate(() => window.__fake.runEvent("onMessageSend"));
    assert.equal(options.allowEvent, false);
    assert.match(options.errorMessage, /could not be checked for 4 recipients; the mail server still applies your request\./);
  });
});

test("a client with only the manifest's minimum (no internetHeaders) still lists recipients and explains", async () => {
  const config = Object.assign({}, recipients, { maxMailbox: "1.5", headers: false });
  await withPage(config, {}, async ({ page }) => {
    await paneSettled(page);
    assert.equal((await rows(page)).length, 4);
    assert.equal(await page.isDisabled("#request-on"), true);
    assert.equal(await page.isVisible("#request-unsupported"), true);
    assert.match(await page.textContent("#request-unsupported"), /mail-flow rule or a sensitivity label/);
    await screenshot(page, "4-minimum-client");
  });
});

test("keyboard: Tab reaches the request toggle first, Space turns the request on, every control has a label", async () => {
  await withPage(recipients, {}, async ({ page }) => {
    await paneSettled(page);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "request-on");
    await page.keyboard.press("Space");
    await page.waitForFunction(() => window.__fake.headers["Link-Security"] === "level=1; fallback=bounce");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "request-level");
    const unlabelled = await page.$$eval("input, select", (controls) => controls.filter((c) => !(c.labels && c.labels.length > 0 && c.labels[0].textContent.trim())).map((c) => c.id));
    assert.deepEqual(unlabelled, []);
    assert.equal(await page.getAttribute("#status", "aria-live"), "polite");
    assert.equal((await page.$$eval("#recipients .badge[role=img][aria-label]", (b) => b.length)), 4);
  });
});

test("the pane speaks the mailbox's display language", async () => {
  await withPage(Object.assign({}, recipients, { displayLanguage: "de-DE" }), {}, async ({ page }) => {
    await paneSettled(page);
    assert.equal(await page.getAttribute("html", "lang"), "de-DE");
    assert.equal(await page.textContent("label[for=request-on]"), "Verbindungssichere Zustellung anfordern");
    assert.equal(await page.textContent("#status"), "3 von 4 Empfängern können sie verbindungssicher erhalten; legacy.example nicht");
    await screenshot(page, "5-german");
  });
});

test("the pane is served under the strict CSP it was written for; the manifest's tokens are replaced", async () => {
  const pane = await fetch(world.serve.origin + "/addin/taskpane.html");
  const csp = pane.headers.get("content-security-policy") || "";
  for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"]) {
    assert.ok(csp.includes(directive), directive + " in " + csp);
  }
  const response = await fetch(world.serve.origin + "/addin/manifest.xml");
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.doesNotMatch(text, /__LINKSECURE_BASE_URL__/);
  assert.ok(text.includes('DefaultValue="' + world.serve.origin + '/addin/taskpane.html"'));
  assert.ok(text.includes("<AppDomain>" + world.serve.origin + "</AppDomain>"));
  const launchevent = await fetch(world.serve.origin + "/addin/launchevent.js");
  assert.equal(launchevent.status, 200, "the bundle is generated by npm ci and served");
});
