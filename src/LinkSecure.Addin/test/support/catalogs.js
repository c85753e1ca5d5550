// The locale catalogs and an en-US translator for the node tests.
import { readFileSync, readdirSync } from "node:fs";
import { createTranslator } from "../../web/js/strings.js";

const folder = new URL("../../web/locales/", import.meta.url);

export const catalogs = Object.fromEntries(
  readdirSync(folder).filter((f) => f.endsWith(".json")).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(new URL(f, folder), "utf8"))]));

export const english = createTranslator("en-US", catalogs["en-US"], catalogs["en-US"]);

/** A status API entry in state "ready". */
export function ready(address, decision, domainLevel) {
  return { address, domain: address.split("@")[1], state: "ready", internal: decision === "Pass", domainLevel, decision, error: null };
}
