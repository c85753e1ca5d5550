// Loads the shared fake Office (test/support/fake-office.js, a classic script) into node.
import { readFileSync } from "node:fs";
import vm from "node:vm";

const source = readFileSync(new URL("./fake-office.js", import.meta.url), "utf8");
const sandbox = { setTimeout, Promise, Object, String, Number };
vm.createContext(sandbox);
vm.runInContext(source, sandbox);

/** @returns {{ Office: object, fake: object }} a new fake Office */
export function createFakeOffice(config) {
  return sandbox.createFakeOffice(config);
}

export const fakeOfficeSource = source;
