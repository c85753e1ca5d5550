import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeDomain, recipientDomain, isValidAsciiDomain } from "../../web/js/domain.js";

test("recipientDomain: lower-cases the domain and keeps the trimmed address", () => {
  assert.deepEqual(recipientDomain("  Anna@Partner.EXAMPLE "), { address: "Anna@Partner.EXAMPLE", domain: "partner.example", error: null });
});

test("recipientDomain: angle brackets and a trailing dot are dropped", () => {
  assert.equal(recipientDomain("<bob@smallshop.example.>").domain, "smallshop.example");
});

test("recipientDomain: the domain is after the last @ (quoted local parts may contain @)", () => {
  assert.equal(recipientDomain('"a@b"@mail.example').domain, "mail.example");
});

test("recipientDomain: U-labels become IDNA A-labels", () => {
  assert.equal(recipientDomain("kunde@Bücher.example").domain, "xn--bcher-kva.example");
  assert.equal(recipientDomain("x@例え.テスト").domain, "xn--r8jz45g.xn--zckzah");
});

test("recipientDomain: no @, empty local part or empty domain is not an address", () => {
  for (const input of ["anna", "@partner.example", "anna@", "", "   ", null, undefined, 42]) {
    const result = recipientDomain(input);
    assert.equal(result.domain, null, String(input));
    assert.equal(result.error, "not an e-mail address", String(input));
  }
});

test("recipientDomain: address literals have no domain policy", () => {
  assert.deepEqual(recipientDomain("root@[192.0.2.1]"), { address: "root@[192.0.2.1]", domain: null, error: "address literal" });
});

test("recipientDomain: invalid domains are errors, not guesses", () => {
  for (const input of ["a@-bad.example", "a@bad-.example", "a@two..dots", "a@sp ace.example", "a@" + "x".repeat(64) + ".example", "a@ünï/code.example", "a@bad%41.example"]) {
    assert.equal(recipientDomain(input).error, "invalid domain", input);
  }
});

test("normalizeDomain: underscores and digits are allowed as in the agent; length limits hold", () => {
  assert.equal(normalizeDomain("_dmarc.Example"), "_dmarc.example");
  assert.equal(normalizeDomain("123.example"), "123.example");
  assert.equal(normalizeDomain("a".repeat(63) + ".example"), "a".repeat(63) + ".example");
  assert.equal(normalizeDomain(("a".repeat(60) + ".").repeat(5) + "ex"), null);
  assert.equal(isValidAsciiDomain(""), false);
});
