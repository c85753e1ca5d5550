import { test } from "node:test";
import assert from "node:assert/strict";
import { formatRequest, parseRequest, formatSubject, MAX_LINE } from "../../web/js/header.js";

test("formatRequest: level and fallback exactly as the agent parses them", () => {
  assert.equal(formatRequest({ level: 2, fallback: "bounce" }), "level=2; fallback=bounce");
  assert.equal(formatRequest({ level: 4, fallback: "safe-part" }), "level=4; fallback=safe-part");
  assert.equal(formatRequest({ level: 1 }), "level=1; fallback=bounce");
});

test("formatRequest: off is level=0 without a fallback", () => {
  assert.equal(formatRequest({ level: 0, fallback: "safe-part" }), "level=0");
});

test("formatRequest: values the agent would read as malformed are refused", () => {
  assert.throws(() => formatRequest({ level: 5, fallback: "bounce" }), RangeError);
  assert.throws(() => formatRequest({ level: 1.5 }), RangeError);
  assert.throws(() => formatRequest({ level: "2" }), RangeError);
  assert.throws(() => formatRequest({ level: 2, fallback: "drop" }), RangeError);
});

test("parseRequest: round-trips every value formatRequest writes", () => {
  for (let level = 1; level <= 4; level++) {
    for (const fallback of ["bounce", "safe-part"]) {
      assert.deepEqual(parseRequest(formatRequest({ level, fallback })), { level, fallback, problem: null });
    }
  }
  assert.deepEqual(parseRequest("level=0"), { level: 0, fallback: "bounce", problem: null });
});

test("parseRequest: case, white space, folding and unknown parameters as the agent reads them", () => {
  assert.deepEqual(parseRequest("  LEVEL = 3 ;\r\n FallBack = Safe-Part ; future=1"), { level: 3, fallback: "safe-part", problem: null });
  assert.deepEqual(parseRequest("fallback=safe-part"), { level: 1, fallback: "safe-part", problem: null });
  assert.deepEqual(parseRequest(""), { level: 1, fallback: "bounce", problem: null });
});

test("parseRequest: malformed values are the strictest reading with the reason", () => {
  const cases = {
    "level=5": "level '5' is not one of 0, 1, 2, 3, 4",
    "level=2; level=3": "'level' given twice",
    "fallback=bounce; fallback=bounce": "'fallback' given twice",
    "level=2; fallback=drop": "fallback 'drop' is neither 'bounce' nor 'safe-part'",
    "level": "parameter 'level' has no '=' or no name",
    "=2": "parameter '=2' has no '=' or no name",
    "lev el=2": "parameter name 'lev el' contains white space",
  };
  for (const [value, problem] of Object.entries(cases)) {
    assert.deepEqual(parseRequest(value), { level: 1, fallback: "bounce", problem }, value);
  }
  assert.equal(parseRequest("level=2;" + " ".repeat(MAX_LINE)).problem, "value longer than 998 characters");
  assert.equal(parseRequest("=?utf-8?q?level=3D2?=").level, 1);
});

test("formatSubject: line breaks cannot start a new header field; the line stays within 998 characters", () => {
  assert.equal(formatSubject("  Your\r\nBcc: evil@example\tdocuments  "), "Your Bcc: evil@example documents");
  assert.equal(formatSubject("   "), "");
  const long = formatSubject("ä".repeat(2000));
  assert.equal(long.length, MAX_LINE - "Link-Security-Subject".length - 2);
});
