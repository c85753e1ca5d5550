// Entries the service has not decided within its time budget say "checking", and the pane asks again.
// The loopback world's DNS server receives queries and never answers, so a lookup of slow.example cannot finish
// within the status API's 200 ms budget; the known domains still come from the configuration's overrides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, openAddinPage, paneSettled, screenshot, rows, worldConfig } from "./harness.js";

const world = useWorld({
  silentDns: true,
  offline: false,
  config: (dns) => Object.assign({}, worldConfig, {
    resolver: { dnsServers: [dns.address], timeoutMilliseconds: 1000, retries: 0, budgetMilliseconds: 1500 },
    status: { budgetMilliseconds: 200, pollAfterSeconds: 1 },
  }),
});

test("a recipient still being looked up shows 'checking' first and is asked for again", async () => {
  const config = { to: [{ emailAddress: "anna@partner.example", displayName: "Anna Partner" }, { emailAddress: "sam@slow.example", displayName: "Sam Slow" }] };
  const pane = await openAddinPage(world.browser, world.serve.origin, config);
  try {
    const { page, apiCalls, outside, errors } = pane;
    // The service's first answer: partner.example decided, slow.example "checking" (not the pane's own placeholder).
    await page.waitForFunction(() => document.querySelector("#recipients li[data-address='anna@partner.example'][data-class='ok']") &&
      document.querySelector("#recipients li[data-address='sam@slow.example'][data-class='checking']"), null, { timeout: 15000 });
    assert.equal(await page.textContent("#recipients li[data-address='sam@slow.example'] .badge"), "…");
    assert.equal(await page.textContent("#status"), "1 of 2 recipients can receive this link-secure; 1 still being checked");
    await screenshot(page, "6-checking");
    await paneSettled(page);
    const asked = apiCalls.filter((url) => url.includes("/api/v1/recipients")).map((url) => new URL(url).searchParams.getAll("address"));
    assert.deepEqual(asked[0], ["anna@partner.example", "sam@slow.example"]);
    assert.ok(asked.length >= 2, "the pane polled: " + asked.length + " requests");
    assert.deepEqual(asked.slice(1), Array(asked.length - 1).fill(["sam@slow.example"]), "only the undecided recipient is polled");
    const final = await rows(page);
    assert.deepEqual(final[0], { address: "anna@partner.example", cls: "ok", level: 3, badge: "L3", decision: "Link-secure" });
    assert.ok(["checking", "deferred"].includes(final[1].cls), final[1].cls);
    assert.ok(world.dns.queries() > 0, "the lookup went to the loopback DNS server");
    assert.deepEqual(outside, []);
    assert.deepEqual(errors, []);
  } finally {
    await pane.close();
  }
});
