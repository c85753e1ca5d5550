// Loads the shared fake Office (test/support/fake-office.js, a classic script) into node, in this realm, so its
// objects compare with assert.deepStrictEqual like any other.
import { readFileSync } from "node:fs";

const source = readFileSync(new URL("./fake-office.js", import.meta.url), "utf8");
new Function(source)();
const create = globalThis.createFakeOffice;

/** @returns {{ Office: object, fake: object }} a new fake Office */
export function createFakeOffice(config) {
  return create(config);
}

export const fakeOfficeSource = source;
