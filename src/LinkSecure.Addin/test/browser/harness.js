// Browser suite plumbing: a real `linksecure serve` on 127.0.0.1 (a free port) over a loopback world that the
// configuration decides without the network (resolver.enabled false: administrator overrides and an internal
// domain), and Debian's Chromium driven by playwright-core with the fake Office injected in place of office.js.
// Every request that is not for the loopback origin is aborted and recorded, so a test can assert none was made.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import dgram from "node:dgram";
import { before, after } from "node:test";
import { chromium } from "playwright-core";
import { fakeOfficeSource } from "../support/fake-office-node.js";

export const repoRoot = new URL("../../../../", import.meta.url).pathname;
export const webDir = new URL("../../web/", import.meta.url).pathname;
export const screenshotDir = join(repoRoot, "artifacts", "addin-screenshots");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const cliDll = process.env.LINKSECURE_DLL || join(repoRoot, "src/LinkSecure.Cli/bin/Release/net10.0/linksecure.dll");

/** The loopback world: every decision comes from the configuration, never from DNS or SMTP. */
export const worldConfig = {
  internalDomains: ["contoso.example"],
  resolver: { enabled: false },
  overrides: [
    { domain: "partner.example", level: 3, mx: ["mx.partner.example"], comment: "browser suite: proves level 3" },
    { domain: "basic.example", level: 1, mx: ["mx.basic.example"], comment: "browser suite: proves level 1" },
    { domain: "legacy.example", never: true, comment: "browser suite: never link-secure" },
  ],
};

/**
 * A DNS server on 127.0.0.1 that receives queries and never answers: lookups through it run into their budget.
 * @returns {Promise<{ address: string, queries: () => number, close: () => Promise<void> }>}
 */
export function startSilentDns() {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    let count = 0;
    socket.on("message", () => { count++; });
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      resolve({
        address: "127.0.0.1:" + socket.address().port,
        queries: () => count,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `linksecure serve` and waits (at most 60 s) until /healthz answers 200.
 * @param {{ config?: object, offline?: boolean }} [options] config: the configuration (default worldConfig);
 *   offline (default true): --offline, so no lookup can leave the machine
 * @returns {Promise<{ origin: string, stop: () => Promise<void>, log: () => string }>}
 */
export async function startServe(options) {
  const opts = options || {};
  if (!existsSync(cliDll)) {
    throw new Error(cliDll + " is missing: dotnet build src/LinkSecure.Cli -c Release");
  }
  const dir = mkdtempSync(join(tmpdir(), "linksecure-addin-"));
  const config = join(dir, "LinkSecure.config.json");
  writeFileSync(config, JSON.stringify(opts.config || worldConfig, null, 2));
  const port = await freePort();
  const origin = "http://127.0.0.1:" + port;
  let output = "";
  const args = [cliDll, "serve", "--listen", origin, "--config", config, "--addin-dir", webDir];
  if (opts.offline !== false) {
    args.push("--offline");
  }
  const child = spawn("dotnet", args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (chunk) => { output += chunk; });
  child.stderr.on("data", (chunk) => { output += chunk; });
  let exited = false;
  child.on("exit", () => { exited = true; });
  const deadline = Date.now() + 60000;
  for (;;) {
    if (exited) {
      throw new Error("linksecure serve exited:\n" + output);
    }
    try {
      const response = await fetch(origin + "/healthz");
      if (response.status === 200) {
        break;
      }
    } catch (_) {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("linksecure serve did not answer /healthz within 60 s:\n" + output);
    }
    await delay(200);
  }
  // Warm the service up (JIT, caches of the configuration's domains), so that the pane's first requests stay well
  // inside the add-in's 2 s limit per request on a busy machine.
  await fetch(origin + "/api/v1/policy");
  await fetch(origin + "/api/v1/recipients?level=1&address=warm-up@partner.example&address=warm-up@contoso.example");
  const stop = () => new Promise((resolve) => {
    if (exited) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => { clearTimeout(timer); resolve(); });
    child.kill("SIGTERM");
  });
  return { origin, stop, log: () => output };
}

/**
 * Registers before/after hooks for a test file: a silent DNS server when asked, `linksecure serve`, Chromium.
 * @param {{ silentDns?: boolean, config?: (dns: object | null) => object, offline?: boolean }} [options]
 * @returns {{ serve: object, browser: object, dns: object | null }} filled in by the before hook
 */
export function useWorld(options) {
  const opts = options || {};
  const world = { serve: null, browser: null, dns: null };
  before(async () => {
    world.dns = opts.silentDns ? await startSilentDns() : null;
    world.serve = await startServe({ config: opts.config ? opts.config(world.dns) : undefined, offline: opts.offline });
    world.browser = await launchBrowser();
  });
  after(async () => {
    if (world.browser) {
      await world.browser.close();
    }
    if (world.serve) {
      await world.serve.stop();
    }
    if (world.dns) {
      await world.dns.close();
    }
  });
  return world;
}

export function launchBrowser() {
  return chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"], headless: true });
}

/**
 * Opens the task pane with a fake Office.
 * @param {import("playwright-core").Browser} browser
 * @param {string} origin the serve origin
 * @param {object} officeConfig the fake's configuration (recipients, maxMailbox, headers, displayLanguage)
 * @param {{ apiDown?: boolean, page?: string }} [options] apiDown: /api/ requests fail as if the service were down
 * @returns {Promise<{ page, fake: () => Promise<object>, outside: string[], apiCalls: string[], close }>}
 */
export async function openAddinPage(browser, origin, officeConfig, options) {
  const opts = options || {};
  const context = await browser.newContext({ viewport: { width: 360, height: 900 } });
  const page = await context.newPage();
  const outside = [];
  const apiCalls = [];
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // A Content-Security-Policy violation is only a console message: count it as an error of the page.
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      errors.push(message.text());
    }
  });
  // Routes apply in reverse registration order: this catch-all is the last resort.
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin + "/")) {
      return route.fallback();
    }
    outside.push(url);
    return route.abort();
  });
  await page.route(origin + "/api/**", (route) => {
    apiCalls.push(route.request().url());
    return opts.apiDown ? route.abort("connectionrefused") : route.fallback();
  });
  // The real office.js would replace the fake (and calls Microsoft's telemetry): the page gets a no-op script.
  await page.route(origin + "/addin/office.js", (route) => route.fulfill({ body: "/* office.js replaced by the fake Office of the browser suite */", contentType: "text/javascript" }));
  await page.addInitScript({ content: "window.__fakeOfficeConfig = " + JSON.stringify(officeConfig) + ";\n" + fakeOfficeSource });
  await page.goto(origin + "/addin/" + (opts.page || "taskpane.html"));
  return {
    page,
    outside,
    apiCalls,
    errors,
    fake: () => page.evaluate(() => JSON.parse(JSON.stringify(window.__fake))),
    close: () => context.close(),
  };
}

/** Waits until the pane has rendered the answers for the current recipients. */
export async function paneSettled(page) {
  await page.waitForSelector("#app[aria-busy=false]", { timeout: 15000 });
}

/** Saves a screenshot of the pane under artifacts/addin-screenshots/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, name + ".png"), fullPage: true });
}

/** The rows of the recipient list as plain data. */
export function rows(page) {
  return page.$$eval("#recipients li", (items) => items.map((li) => ({
    address: li.dataset.address,
    cls: li.dataset.class,
    level: li.dataset.level === undefined ? null : Number(li.dataset.level),
    badge: li.querySelector(".badge").textContent,
    decision: li.querySelector(".decision").textContent,
  })));
}

