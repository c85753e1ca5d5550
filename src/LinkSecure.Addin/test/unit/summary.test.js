import { test } from "node:test";
import assert from "node:assert/strict";
import { notificationText, sendCheck, classify } from "../../web/js/summary.js";
import { createTranslator } from "../../web/js/strings.js";
import { catalogs, english, ready } from "../support/catalogs.js";

const request = { level: 2, fallback: "bounce" };

test("notificationText: the issue's example sentence", () => {
  const entries = [ready("a@partner.example", "Secure", 3), ready("b@contoso.example", "Pass", null), ready("c@smallshop.example", "Bounce", 0)];
  assert.equal(notificationText(entries, english), "2 of 3 recipients can receive this link-secure; smallshop.example cannot");
});

test("notificationText: all fine, none yet, and the service down", () => {
  assert.equal(notificationText([ready("a@partner.example", "Secure", 3)], english), "The recipient can receive this link-secure");
  assert.equal(notificationText([ready("a@p.example", "Secure", 3), ready("b@p.example", "Secure", 3)], english), "All 2 recipients can receive this link-secure");
  assert.equal(notificationText([], english), "No recipients yet.");
  assert.equal(notificationText([{ address: "a@x.example", state: "unknown" }, { address: "b@y.example", state: "unknown" }], english),
    "Link security could not be checked for 2 recipients");
});

test("notificationText: checking, deferred, invalid and unknown entries are counted", () => {
  const entries = [ready("a@p.example", "Secure", 3), { address: "b@slow.example", state: "checking" }, ready("c@d.example", "Defer", null),
    { address: "bad", state: "error", error: "not an e-mail address" }, { address: "e@f.example", state: "unknown" }];
  assert.equal(notificationText(entries, english),
    "1 of 5 recipients can receive this link-secure; 1 may be delayed; 1 still being checked; 1 could not be checked; 1 is not a valid address");
});

test("notificationText: never longer than 150 characters; many domains become 'and N more'", () => {
  const entries = [];
  for (let i = 0; i < 40; i++) {
    entries.push(ready("x@shop-number-" + i + ".example", "Bounce", 0));
  }
  const text = notificationText(entries, english);
  assert.ok(text.length <= 150, text.length + ": " + text);
  assert.match(text, /^0 of 40 recipients can receive this link-secure; shop-number-0\.example, .* and \d+ more cannot$/);
});

test("notificationText: German", () => {
  const de = createTranslator("de-DE", catalogs["de-DE"], catalogs["en-US"]);
  const entries = [ready("a@partner.example", "Secure", 3), ready("c@smallshop.example", "Bounce", 0)];
  assert.equal(notificationText(entries, de), "1 von 2 Empfängern können sie verbindungssicher erhalten; smallshop.example nicht");
});

test("sendCheck: no request, or everyone reachable → send", () => {
  assert.deepEqual(sendCheck([ready("c@smallshop.example", "Bounce", 0)], { level: 0, fallback: "bounce" }, english), { allow: true, message: null });
  assert.deepEqual(sendCheck([ready("a@partner.example", "Secure", 3), ready("b@contoso.example", "Pass", null)], request, english), { allow: true, message: null });
  assert.deepEqual(sendCheck([ready("d@slow.example", "Defer", null)], request, english), { allow: true, message: null });
});

test("sendCheck: a recipient that would bounce or get the safe part only → prompt naming them", () => {
  const entries = [ready("a@partner.example", "Secure", 3), ready("c@smallshop.example", "Bounce", 0), ready("d@smallshop.example", "Bounce", 0), ready("e@old.example", "Downgrade", 1)];
  const check = sendCheck(entries, request, english);
  assert.equal(check.allow, false);
  assert.equal(check.message,
    "You asked for link-secure delivery (level 2). These recipients cannot receive it link-secure, so it will be returned to you for them: smallshop.example. " +
    "These recipients will receive only the safe part: old.example. Send anyway, or go back and change the recipients or the request?");
});

test("sendCheck: recipients that could not be checked prompt too, saying so", () => {
  const check = sendCheck([{ address: "a@x.example", state: "unknown" }, { address: "b@y.example", state: "checking" }], request, english);
  assert.equal(check.allow, false);
  assert.match(check.message, /could not be checked for 2 recipients; the mail server still applies your request\. Send anyway/);
});

test("sendCheck: the prompt stays within 500 characters and still asks the question", () => {
  const entries = [];
  for (let i = 0; i < 200; i++) {
    entries.push(ready("x@a-rather-long-domain-name-" + i + ".example", i % 2 ? "Bounce" : "Downgrade", 0));
  }
  entries.push({ address: "u@x.example", state: "unknown" });
  const check = sendCheck(entries, request, english);
  assert.ok(check.message.length <= 500, String(check.message.length));
  assert.match(check.message, /Send anyway, or go back and change the recipients or the request\?$/);
  assert.match(check.message, /and \d+ more/);
});

test("classify: each state and decision", () => {
  assert.equal(classify({ state: "ready", decision: "Secure" }), "ok");
  assert.equal(classify({ state: "ready", decision: "Pass" }), "ok");
  assert.equal(classify({ state: "ready", decision: "Bounce" }), "bounce");
  assert.equal(classify({ state: "ready", decision: "Downgrade" }), "downgrade");
  assert.equal(classify({ state: "ready", decision: "Defer" }), "deferred");
  assert.equal(classify({ state: "ready", decision: "Something" }), "unknown");
  assert.equal(classify({ state: "checking" }), "checking");
  assert.equal(classify({ state: "error" }), "invalid");
  assert.equal(classify({ state: "unknown" }), "unknown");
});
