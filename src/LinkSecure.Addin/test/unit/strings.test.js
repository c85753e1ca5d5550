import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { pickLocale, createTranslator, fill, LOCALES } from "../../web/js/strings.js";

const catalog = (locale) => JSON.parse(readFileSync(new URL("../../web/locales/" + locale + ".json", import.meta.url), "utf8"));

test("pickLocale: exact, then same language, then en-US", () => {
  assert.equal(pickLocale("de-DE"), "de-DE");
  assert.equal(pickLocale("DE-at"), "de-DE");
  assert.equal(pickLocale("en-GB"), "en-US");
  assert.equal(pickLocale("fr-FR"), "en-US");
  assert.equal(pickLocale(undefined), "en-US");
});

test("LOCALES names exactly the catalogs in web/locales/", () => {
  const files = readdirSync(new URL("../../web/locales/", import.meta.url)).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
  assert.deepEqual([...LOCALES].sort(), files.sort());
});

test("every locale has exactly the keys of en-US, with the same placeholders", () => {
  const english = catalog("en-US");
  for (const locale of LOCALES) {
    const other = catalog(locale);
    assert.deepEqual(Object.keys(other).sort(), Object.keys(english).sort(), locale);
    for (const key of Object.keys(english)) {
      const names = (text) => (text.match(/\{[a-zA-Z]+\}/g) || []).sort();
      assert.deepEqual(names(other[key]), names(english[key]), locale + " " + key);
    }
  }
});

test("createTranslator: plural forms, placeholders and fallback to en-US, then to the key", () => {
  const tr = createTranslator("de-DE", { "summary.unknown.one": "{count} eins" }, catalog("en-US"));
  assert.equal(tr.n("summary.unknown", 1), "1 eins");
  assert.equal(tr.n("summary.unknown", 3), "3 could not be checked");
  assert.equal(tr.t("summary.someOk", { ok: 2, total: 3 }), "2 of 3 recipients can receive this link-secure");
  assert.equal(tr.t("no.such.key"), "no.such.key");
  assert.equal(fill("{a} and {b}", { a: 1 }), "1 and {b}");
});
