// The manifest checked offline (docs/addin.md, "Manifest check"):
//  - well-formed (xmllint);
//  - XSD: no package on the npm registry carries the MailApp/VersionOverrides schemas ([MS-OWEMXML]); checked
//    office-addin-manifest 3.0.0, office-addin-manifest-converter 0.4.1 and office-addin-validator 1.0.5, whose
//    XML validation posts the manifest to a Microsoft web service. So the project's rules are checked instead:
//  - Mailbox MinVersion ≤ 1.5 (Exchange Server on-premises refuses higher);
//  - every resid referenced inside a VersionOverrides is defined in that VersionOverrides' Resources, ids unique;
//  - every URL is https and built from __LINKSECURE_BASE_URL__, and names a file that exists in web/;
//  - the LaunchEvents' FunctionName values are the ones the handlers associate; OnMessageSend prompts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { bundle } from "../../scripts/build-launchevent.mjs";

const web = new URL("../../web/", import.meta.url);
const manifestPath = new URL("manifest.xml", web).pathname;
const TOKEN = "__LINKSECURE_BASE_URL__";
const type = (name) => "@*[local-name()='type']='" + name + "'";
const el = (name) => "*[local-name()='" + name + "']";

/** Runs an XPath query with xmllint; returns the attribute values or text nodes found (none → []). */
function xpath(expr) {
  let out;
  try {
    out = execFileSync("xmllint", ["--xpath", expr, manifestPath], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    if (error.code === "ENOENT") {
      throw new Error("xmllint is missing: apt-get install libxml2-utils (scripts/install-prerequisites.sh)");
    }
    if (/XPath set is empty/.test(String(error.stderr))) {
      return [];
    }
    throw error;
  }
  const attributes = [...out.matchAll(/[\w:.-]+="([^"]*)"/g)].map((m) => m[1]);
  return attributes.length > 0 ? attributes : out.split("\n").map((s) => s.trim()).filter(Boolean);
}

const v10 = "//" + el("VersionOverrides") + "[" + type("VersionOverridesV1_0") + "]";
const v11 = "//" + el("VersionOverrides") + "[" + type("VersionOverridesV1_1") + "]";
/** Each VersionOverrides: its own content (V1_0 without the nested V1_1) and its Resources. */
const scopes = {
  V1_0: { content: v10 + "/*[local-name()!='VersionOverrides']", resources: v10 + "/" + el("Resources") },
  V1_1: { content: v11 + "/*", resources: v11 + "/" + el("Resources") },
};

test("manifest: well-formed XML", () => {
  execFileSync("xmllint", ["--noout", manifestPath], { stdio: "pipe" });
});

test("manifest: a MailApp with Mailbox MinVersion at most 1.5 and ReadWriteItem", () => {
  assert.deepEqual(xpath("/" + el("OfficeApp") + "/@*[local-name()='type']"), ["MailApp"]);
  const min = xpath("/" + el("OfficeApp") + "/" + el("Requirements") + "//" + el("Set") + "[@Name='Mailbox']/@MinVersion");
  assert.equal(min.length, 1);
  const [major, minor] = min[0].split(".").map(Number);
  assert.ok(major === 1 && minor <= 5, "MinVersion " + min[0]);
  assert.deepEqual(xpath("/" + el("OfficeApp") + "/" + el("Permissions") + "/text()"), ["ReadWriteItem"]);
});

for (const [name, scope] of Object.entries(scopes)) {
  test("manifest: every resid in VersionOverrides" + name + " is defined there, and ids are unique", () => {
    const referenced = new Set(xpath(scope.content + "//@resid"));
    const defined = xpath(scope.resources + "//@id");
    assert.ok(referenced.size > 0);
    assert.deepEqual(defined.filter((id, i) => defined.indexOf(id) !== i), [], "duplicate resource ids");
    assert.deepEqual([...referenced].filter((id) => !defined.includes(id)), [], "referenced but not defined");
    const controls = xpath(scope.content + "//" + el("Group") + "/@id").concat(xpath(scope.content + "//" + el("Control") + "/@id"));
    assert.deepEqual(controls.filter((id, i) => controls.indexOf(id) !== i), [], "duplicate control ids");
  });
}

test("manifest: every URL is https from the base token and names a file of web/", () => {
  const urls = xpath("//@DefaultValue[starts-with(., 'http') or contains(., '" + TOKEN + "')]")
    .concat(xpath("//" + el("Override") + "/@Value[contains(., '" + TOKEN + "')]"))
    .concat(xpath("//" + el("AppDomain") + "/text()"));
  assert.ok(urls.length >= 10, String(urls.length));
  const text = readFileSync(manifestPath, "utf8");
  assert.doesNotMatch(text.replace(/xmlns(:\w+)?="http:\/\/[^"]*"/g, ""), /http:\/\//, "a plain http URL outside the namespace declarations");
  for (const url of urls) {
    assert.ok(url === TOKEN || url.startsWith(TOKEN + "/addin/"), url);
    const resolved = new URL(url.replace(TOKEN, "https://linksecure.contoso.example:8443"));
    assert.equal(resolved.protocol, "https:");
    if (url !== TOKEN) {
      const file = resolved.pathname.replace(/^\/addin\//, "");
      const generated = file === "launchevent.js";
      assert.ok(generated || existsSync(new URL(file, web)), "missing web/" + file);
    }
  }
});

test("manifest: icon sizes match the PNG files they name", () => {
  for (const size of [16, 32, 80]) {
    const [url] = xpath("(//" + el("Image") + "[@id='Icon." + size + "x" + size + "'])[1]/@DefaultValue");
    const png = readFileSync(new URL(url.replace(TOKEN + "/addin/", ""), web));
    assert.equal(png.subarray(1, 4).toString("ascii"), "PNG");
    assert.equal(png.readUInt32BE(16), size);
    assert.equal(png.readUInt32BE(20), size);
  }
});

test("manifest: LaunchEvents name the functions the bundle associates; OnMessageSend prompts the user", () => {
  const events = xpath("//" + el("LaunchEvent") + "/@Type");
  assert.deepEqual(events, ["OnMessageRecipientsChanged", "OnMessageSend"]);
  assert.deepEqual(xpath("//" + el("LaunchEvent") + "[@Type='OnMessageSend']/@SendMode"), ["PromptUser"]);
  const code = bundle(web);
  for (const name of xpath("//" + el("LaunchEvent") + "/@FunctionName")) {
    assert.ok(code.includes('Office.actions.associate("' + name + '"'), name);
  }
  assert.deepEqual(xpath("//" + el("Runtime") + "/" + el("Override") + "/@type"), ["javascript"]);
});
