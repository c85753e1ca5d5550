// Localisable strings. Catalogs are flat JSON objects (web/locales/<locale>.json): "key": "text with {name}".
// Plural forms are "key.one" / "key.other" (CLDR categories through Intl.PluralRules; other categories fall back
// to "other"). A key missing from the display language's catalog falls back to en-US, then to the key itself.

export const DEFAULT_LOCALE = "en-US";
export const LOCALES = ["en-US", "de-DE"];

/**
 * Picks the catalog for Outlook's display language (Office.context.displayLanguage, e.g. "de-AT").
 * @param {string | undefined} displayLanguage a BCP 47 tag
 * @param {string[]} [available]
 * @returns {string} an exact match (case-insensitive), else one with the same language, else en-US
 */
export function pickLocale(displayLanguage, available) {
  const list = available || LOCALES;
  const wanted = String(displayLanguage || "").toLowerCase();
  for (const locale of list) {
    if (locale.toLowerCase() === wanted) {
      return locale;
    }
  }
  const language = wanted.split("-")[0];
  for (const locale of list) {
    if (locale.toLowerCase().split("-")[0] === language) {
      return locale;
    }
  }
  return DEFAULT_LOCALE;
}

/**
 * Replaces {name} placeholders.
 * @param {string} template
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function fill(template, params) {
  return template.replace(/\{([a-zA-Z]+)\}/g, (whole, name) =>
    params && Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
}

/**
 * @typedef {{ locale: string, t: (key: string, params?: Record<string, string | number>) => string,
 *   n: (key: string, count: number, params?: Record<string, string | number>) => string }} Translator
 */

/**
 * @param {string} locale the catalog's locale
 * @param {Record<string, string>} catalog
 * @param {Record<string, string>} [fallback] the en-US catalog
 * @returns {Translator}
 */
export function createTranslator(locale, catalog, fallback) {
  const lookup = (key) => {
    if (catalog && typeof catalog[key] === "string") {
      return catalog[key];
    }
    if (fallback && typeof fallback[key] === "string") {
      return fallback[key];
    }
    return null;
  };
  const rules = typeof Intl === "object" && typeof Intl.PluralRules === "function" ? new Intl.PluralRules(locale) : null;
  const t = (key, params) => {
    const template = lookup(key);
    return template === null ? key : fill(template, params);
  };
  const n = (key, count, params) => {
    const category = rules ? rules.select(count) : count === 1 ? "one" : "other";
    const template = lookup(key + "." + category) || lookup(key + ".other");
    const all = Object.assign({ count: count }, params || {});
    return template === null ? key : fill(template, all);
  };
  return { locale: locale, t: t, n: n };
}
