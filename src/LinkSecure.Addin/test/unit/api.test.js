import { test } from "node:test";
import assert from "node:assert/strict";
import { createApiClient } from "../../web/js/api.js";

const BASE = "https://ls.contoso.example/addin/";

/** A fake fetch: answers from a function of the URL, and records every URL asked for. */
function fakeFetch(answer) {
  const calls = [];
  const fetch = async (url) => {
    calls.push(new URL(url));
    const result = await answer(new URL(url), calls.length);
    return { ok: result.status === 200, status: result.status, json: async () => result.body };
  };
  return { fetch, calls };
}

function entry(address, state, extra) {
  return Object.assign({ address, domain: address.split("@")[1], state, decision: state === "ready" ? "Secure" : null, retryAfterSeconds: state === "checking" ? 2 : null }, extra);
}

test("recipients: one GET with level, fallback and every address; answers in input order", async () => {
  const { fetch, calls } = fakeFetch((url) => ({ status: 200, body: { schemaVersion: 1, recipients: url.searchParams.getAll("address").reverse().map((a) => entry(a, "ready")) } }));
  const api = createApiClient({ addinBase: BASE, fetch });
  const entries = await api.recipients(["a@p.example", " B@q.example "], 2, "safe-part");
  assert.equal(calls.length, 1);
  assert.equal(calls[0].origin + calls[0].pathname, "https://ls.contoso.example/api/v1/recipients");
  assert.equal(calls[0].searchParams.get("level"), "2");
  assert.equal(calls[0].searchParams.get("fallback"), "safe-part");
  assert.deepEqual(calls[0].searchParams.getAll("address"), ["a@p.example", "B@q.example"]);
  assert.deepEqual(entries.map((e) => e.address), ["a@p.example", "B@q.example"]);
});

test("recipients: duplicates are asked for once; batches hold at most maxBatch addresses", async () => {
  const { fetch, calls } = fakeFetch((url) => ({ status: 200, body: { recipients: url.searchParams.getAll("address").map((a) => entry(a, "ready")) } }));
  const api = createApiClient({ addinBase: BASE, fetch });
  const addresses = [];
  for (let i = 0; i < 250; i++) {
    addresses.push("r" + i + "@d.example");
  }
  const entries = await api.recipients(addresses.concat(["R0@d.example"]), 1, undefined, { maxBatch: 100 });
  assert.deepEqual(calls.map((c) => c.searchParams.getAll("address").length), [100, 100, 50]);
  assert.equal(calls[0].searchParams.has("fallback"), false);
  assert.equal(entries.length, 251);
  assert.equal(entries[250].address, "r0@d.example");
});

test("recipients: 'checking' entries are polled after retryAfterSeconds, a bounded number of times", async () => {
  const { fetch, calls } = fakeFetch((url, n) => ({ status: 200, body: { recipients: url.searchParams.getAll("address").map((a) => entry(a, a.startsWith("slow") && n < 3 ? "checking" : "ready")) } }));
  const slept = [];
  const updates = [];
  const api = createApiClient({ addinBase: BASE, fetch, sleep: (ms) => { slept.push(ms); return Promise.resolve(); } });
  const entries = await api.recipients(["fast@a.example", "slow@b.example"], 1, "bounce", { maxPolls: 3, onUpdate: (e) => updates.push(e.map((x) => x.state)) });
  assert.deepEqual(calls.map((c) => c.searchParams.getAll("address")), [["fast@a.example", "slow@b.example"], ["slow@b.example"], ["slow@b.example"]]);
  assert.deepEqual(slept, [2000, 2000]);
  assert.deepEqual(updates, [["ready", "checking"], ["ready", "checking"], ["ready", "ready"]]);
  assert.deepEqual(entries.map((e) => e.state), ["ready", "ready"]);
});

test("recipients: polling stops after maxPolls and the entry stays 'checking'", async () => {
  const { fetch, calls } = fakeFetch((url) => ({ status: 200, body: { recipients: url.searchParams.getAll("address").map((a) => entry(a, "checking")) } }));
  const api = createApiClient({ addinBase: BASE, fetch, sleep: () => Promise.resolve() });
  const entries = await api.recipients(["slow@b.example"], 1, "bounce", { maxPolls: 1 });
  assert.equal(calls.length, 2);
  assert.equal(entries[0].state, "checking");
});

test("recipients: a failing, refusing or rate-limited service gives 'unknown' entries with the reason", async () => {
  const cases = [
    [() => { throw new TypeError("Failed to fetch"); }, "Failed to fetch"],
    [() => ({ status: 503, body: {} }), "HTTP 503"],
    [() => ({ status: 429, body: {} }), "rate limited"],
  ];
  for (const [answer, reason] of cases) {
    const api = createApiClient({ addinBase: BASE, fetch: fakeFetch(answer).fetch });
    const entries = await api.recipients(["a@Partner.example"], 1, "bounce");
    assert.equal(entries[0].state, "unknown");
    assert.equal(entries[0].error, reason);
    assert.equal(entries[0].domain, "partner.example");
  }
});

test("recipients: a request that does not answer in time gives 'unknown' (timeout)", async () => {
  const api = createApiClient({ addinBase: BASE, fetch: () => new Promise(() => {}), timeoutMs: 10 });
  const entries = await api.recipients(["a@p.example"], 1, "bounce");
  assert.equal(entries[0].state, "unknown");
  assert.equal(entries[0].error, "timeout");
});

test("recipients: an answer that omits an address gives that address 'unknown'", async () => {
  const { fetch } = fakeFetch(() => ({ status: 200, body: { recipients: [entry("a@p.example", "ready")] } }));
  const api = createApiClient({ addinBase: BASE, fetch });
  const entries = await api.recipients(["a@p.example", "b@q.example"], 1, "bounce");
  assert.deepEqual(entries.map((e) => e.state), ["ready", "unknown"]);
  assert.equal(entries[1].error, "no answer for this address");
});

test("policy: the policy, or null when the service fails or speaks another schema", async () => {
  const policy = { schemaVersion: 1, defaultLevel: 2, defaultFallback: "bounce" };
  const good = fakeFetch(() => ({ status: 200, body: policy }));
  assert.deepEqual(await createApiClient({ addinBase: BASE, fetch: good.fetch }).policy(), policy);
  assert.equal(good.calls[0].href, "https://ls.contoso.example/api/v1/policy");
  assert.equal(await createApiClient({ addinBase: BASE, fetch: fakeFetch(() => ({ status: 200, body: { schemaVersion: 2 } })).fetch }).policy(), null);
  assert.equal(await createApiClient({ addinBase: BASE, fetch: fakeFetch(() => ({ status: 500, body: {} })).fetch }).policy(), null);
});
