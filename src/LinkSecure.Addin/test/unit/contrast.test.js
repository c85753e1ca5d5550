// The task pane's colours meet WCAG 2.2 contrast: 4.5:1 for text (SC 1.4.3), 3:1 for the focus ring (SC 1.4.11).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const css = readFileSync(new URL("../../web/css/taskpane.css", import.meta.url), "utf8");
const variables = Object.fromEntries([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1], m[2]]));

/** WCAG 2.2 relative luminance of an sRGB colour "#rrggbb". */
function luminance(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test("text colours on white reach 4.5:1", () => {
  for (const name of ["text", "muted"]) {
    assert.ok(contrast(variables[name], "#ffffff") >= 4.5, name + " " + contrast(variables[name], "#ffffff").toFixed(2));
  }
});

test("white badge text on every badge colour reaches 4.5:1", () => {
  const badges = ["ok-bg", "bad-bg", "warn-bg", "wait-bg", "info-bg"];
  for (const name of badges) {
    assert.ok(variables[name], name + " is defined");
    assert.ok(contrast(variables[name], "#ffffff") >= 4.5, name + " " + contrast(variables[name], "#ffffff").toFixed(2));
  }
});

test("the focus ring reaches 3:1 against white", () => {
  assert.ok(contrast(variables.focus, "#ffffff") >= 3);
});
