import { test } from "node:test";
import assert from "node:assert/strict";
import { headerNames, readRequest, writeRequest } from "../../web/js/request.js";
import { createFakeOffice } from "../support/fake-office-node.js";

test("headerNames: the policy may choose X-Link-Security, never a name of its own", () => {
  assert.deepEqual(headerNames(null), { request: "Link-Security", subject: "Link-Security-Subject" });
  assert.equal(headerNames({ headerName: "x-link-security" }).request, "X-Link-Security");
  assert.equal(headerNames({ headerName: "Bcc" }).request, "Link-Security");
  assert.equal(headerNames({ headerName: 42 }).request, "Link-Security");
});

test("readRequest: absent, on, off and malformed (read as the agent reads it)", async () => {
  const read = async (headers, policy) => {
    const { Office } = createFakeOffice({ initialHeaders: headers });
    return readRequest(Office, Office.context.mailbox.item, policy || null);
  };
  assert.deepEqual(await read({}, { defaultFallback: "safe-part" }), { present: false, on: false, level: 0, fallback: "safe-part", subject: "", problem: null });
  assert.deepEqual(await read({ "link-security": "LEVEL=3; fallback=safe-part", "Link-Security-Subject": "Ready" }),
    { present: true, on: true, level: 3, fallback: "safe-part", subject: "Ready", problem: null });
  assert.equal((await read({ "Link-Security": "level=0" })).on, false);
  assert.deepEqual(await read({ "Link-Security": "level=9" }), { present: true, on: true, level: 1, fallback: "bounce", subject: "", problem: "level '9' is not one of 0, 1, 2, 3, 4" });
});

test("writeRequest: on with a subject, on without one (removed), off (level=0, subject removed)", async () => {
  const { Office, fake } = createFakeOffice({});
  const item = Office.context.mailbox.item;
  assert.deepEqual(await writeRequest(Office, item, null, { on: true, level: 4, fallback: "bounce", subject: " Ready\n" }), { value: "level=4; fallback=bounce", subject: "Ready" });
  assert.deepEqual(fake.headers, { "Link-Security": "level=4; fallback=bounce", "Link-Security-Subject": "Ready" });
  await writeRequest(Office, item, null, { on: true, level: 2, fallback: "safe-part", subject: "" });
  assert.deepEqual(fake.headers, { "Link-Security": "level=2; fallback=safe-part" });
  await writeRequest(Office, item, { headerName: "X-Link-Security" }, { on: false, level: 2, fallback: "safe-part", subject: "kept?" });
  assert.deepEqual(fake.headers, { "Link-Security": "level=2; fallback=safe-part", "X-Link-Security": "level=0" });
  assert.deepEqual(fake.headerCalls.at(-1), { remove: ["Link-Security-Subject"] });
});
