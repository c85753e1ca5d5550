import { test } from "node:test";
import assert from "node:assert/strict";
import { truncate, fitList, NOTIFICATION_LIMIT, SMART_ALERT_LIMIT } from "../../web/js/text.js";

test("limits are Outlook's: notifications 150, Smart Alerts 500", () => {
  assert.equal(NOTIFICATION_LIMIT, 150);
  assert.equal(SMART_ALERT_LIMIT, 500);
});

test("truncate: short text is unchanged", () => {
  assert.equal(truncate("All 3 recipients", 150), "All 3 recipients");
});

test("truncate: long text is cut at a word boundary and ends with an ellipsis", () => {
  const text = "one two three four five six seven eight nine ten";
  const cut = truncate(text, 20);
  assert.ok(cut.length <= 20, cut);
  assert.equal(cut, "one two three four…");
});

test("truncate: counts code points, never splits a surrogate pair", () => {
  const cut = truncate("😀".repeat(10), 5);
  assert.equal(Array.from(cut).length, 5);
  assert.ok(!/[\ud800-\udbff]$/.test(cut.slice(0, -1)));
});

test("fitList: all names when they fit, otherwise as many as fit and how many more", () => {
  const more = (n) => "and " + n + " more";
  assert.equal(fitList(["a.example", "b.example"], 50, more), "a.example, b.example");
  assert.equal(fitList(["a.example", "b.example", "c.example", "d.example"], 34, more), "a.example, b.example and 2 more");
  assert.equal(fitList([], 10, more), "");
  assert.ok(fitList(["a-very-long-domain-name.example"], 10, more).length <= 10);
});
