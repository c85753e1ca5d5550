// Entry of the bundled web/launchevent.js (scripts/build-launchevent.mjs): finds the add-in's folder, builds the
// handlers and associates them with the manifest's FunctionName values.
//  - Browser runtime (commands.html): the page's own URL.
//  - Classic Outlook's JavaScript-only runtime has no page: Office.context.urls.javascriptRuntimeUrl (Mailbox 1.14)
//    is the URL of this file (the manifest's JSRuntime.Url);
//  - before Mailbox 1.14: CONFIGURED_BASE_URL, the bundle's __LINKSECURE_BASE_URL__ token, if the server replaced it.

import { createApiClient } from "./api.js";
import { createHandlers } from "./handlers.js";

/** @returns {URL | null} the add-in's folder, or null when this runtime tells neither URL */
function addinFolder() {
  if (typeof location === "object" && location && /^https?:$/.test(location.protocol)) {
    return new URL(".", location.href);
  }
  const urls = Office.context && Office.context.urls;
  const script = urls && urls.javascriptRuntimeUrl;
  if (typeof script === "string" && /^https:/.test(script)) {
    return new URL(".", script);
  }
  return /^https:\/\//.test(CONFIGURED_BASE_URL) ? new URL(CONFIGURED_BASE_URL.replace(/\/$/, "") + "/addin/") : null;
}

function start() {
  let handlers = null;
  const get = () => {
    if (handlers === null) {
      const folder = addinFolder();
      // Without the add-in's URL every lookup fails, and the handlers say "could not be checked".
      const api = folder
        ? createApiClient({ addinBase: folder, fetch: (url, init) => fetch(url, init) })
        : createApiClient({ addinBase: "https://addin-url-unknown.invalid/addin/", fetch: () => Promise.reject(new Error("the add-in's URL is unknown")) });
      handlers = createHandlers({ office: Office, api: api, catalogs: BUNDLED_CATALOGS });
    }
    return handlers;
  };
  Office.actions.associate("onRecipientsChanged", (event) => get().onRecipientsChanged(event));
  Office.actions.associate("onMessageSend", (event) => get().onMessageSend(event));
}

start();
