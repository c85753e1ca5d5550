// A fake of the Office.js surface the add-in uses, shared by the node tests (loaded with vm) and the browser suite
// (injected with page.addInitScript in place of office.js). A classic script: it defines createFakeOffice(config)
// on the global object and, when window.__fakeOfficeConfig is set, installs Office and __fake from it.
// config: { to, cc, bcc: [{ emailAddress, displayName }], maxMailbox: "1.12", headers: true, displayLanguage,
//           javascriptRuntimeUrl }
(function (root) {
  "use strict";

  function versionAtMost(version, max) {
    var a = String(version).split(".").map(Number);
    var b = String(max).split(".").map(Number);
    return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);
  }

  function createFakeOffice(config) {
    var cfg = config || {};
    var succeeded = "succeeded";
    var later = function (fn) { setTimeout(fn, 0); };
    var ok = function (callback, value) { later(function () { callback({ status: succeeded, value: value }); }); };
    var fake = {
      recipients: { to: (cfg.to || []).slice(), cc: (cfg.cc || []).slice(), bcc: (cfg.bcc || []).slice() },
      headers: Object.assign({}, cfg.initialHeaders || {}),
      headerCalls: [],
      notifications: {},
      handlers: {},
      associated: {},
      completed: [],
    };

    function recipientField(kind) {
      return {
        getAsync: function (callback) { ok(callback, fake.recipients[kind].slice()); },
        setAsync: function (list, callback) { fake.recipients[kind] = list.slice(); if (callback) { ok(callback); } },
      };
    }

    var item = {
      itemType: "message",
      to: recipientField("to"),
      cc: recipientField("cc"),
      bcc: recipientField("bcc"),
      notificationMessages: {
        replaceAsync: function (key, details, callback) { fake.notifications[key] = details; if (callback) { ok(callback); } },
      },
      addHandlerAsync: function (type, handler, callback) {
        (fake.handlers[type] = fake.handlers[type] || []).push(handler);
        if (callback) { ok(callback); }
      },
    };
    if (cfg.headers !== false) {
      item.internetHeaders = {
        getAsync: function (names, callback) {
          var found = {};
          names.forEach(function (name) {
            Object.keys(fake.headers).forEach(function (key) {
              if (key.toLowerCase() === name.toLowerCase()) { found[key] = fake.headers[key]; }
            });
          });
          ok(callback, found);
        },
        setAsync: function (headers, callback) {
          fake.headerCalls.push({ set: Object.assign({}, headers) });
          Object.keys(headers).forEach(function (key) { fake.headers[key] = headers[key]; });
          ok(callback);
        },
        removeAsync: function (names, callback) {
          fake.headerCalls.push({ remove: names.slice() });
          names.forEach(function (name) { delete fake.headers[name]; });
          ok(callback);
        },
      };
    }

    var maxMailbox = cfg.maxMailbox || "1.12";
    var Office = {
      AsyncResultStatus: { Succeeded: succeeded, Failed: "failed" },
      EventType: { RecipientsChanged: "olkRecipientsChanged" },
      HostType: { Outlook: "Outlook" },
      MailboxEnums: { ItemNotificationMessageType: { InformationalMessage: "informationalMessage", ErrorMessage: "errorMessage" } },
      context: {
        displayLanguage: cfg.displayLanguage || "en-US",
        requirements: {
          isSetSupported: function (name, version) { return name === "Mailbox" && versionAtMost(version, maxMailbox); },
        },
        urls: cfg.javascriptRuntimeUrl ? { javascriptRuntimeUrl: cfg.javascriptRuntimeUrl } : undefined,
        mailbox: { item: item },
      },
      actions: {
        associate: function (name, handler) { fake.associated[name] = handler; },
      },
      // Like office.js, onReady resolves after the DOM is loaded (resolving earlier breaks pages that touch it).
      onReady: function (callback) {
        var info = { host: "Outlook", platform: "PC" };
        return new Promise(function (resolve) {
          var done = function () { if (callback) { callback(info); } resolve(info); };
          if (typeof document === "object" && document.readyState === "loading") {
            document.addEventListener("DOMContentLoaded", function () { later(done); });
          } else {
            later(done);
          }
        });
      },
    };

    /** Replaces one recipient list and fires RecipientsChanged to the registered handlers. */
    fake.changeRecipients = function (kind, list) {
      fake.recipients[kind] = list.slice();
      (fake.handlers[Office.EventType.RecipientsChanged] || []).forEach(function (handler) {
        handler({ type: Office.EventType.RecipientsChanged, changedRecipientFields: { to: kind === "to", cc: kind === "cc", bcc: kind === "bcc" } });
      });
    };

    /** Runs an associated event handler with a fake event; resolves with the options given to event.completed. */
    fake.runEvent = function (name, type) {
      return new Promise(function (resolve) {
        var event = { type: type || name, completed: function (options) { fake.completed.push({ name: name, options: options }); resolve(options); } };
        fake.associated[name](event);
      });
    };

    return { Office: Office, fake: fake };
  }

  root.createFakeOffice = createFakeOffice;
  if (root.__fakeOfficeConfig) {
    var made = createFakeOffice(root.__fakeOfficeConfig);
    root.Office = made.Office;
    root.__fake = made.fake;
  }
})(typeof window !== "undefined" ? window : globalThis);
