import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../paths";
import { buildInitializationOptions, DEFAULTS, expandVariables, needsRestart, readSettings } from "../../src/settings";

const root = repoRoot();
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const properties: Record<string, { default: unknown }> = manifest.contributes.configuration.properties;

function read(values: Record<string, unknown>, env: Record<string, string> = {}) {
  const warnings: string[] = [];
  const settings = readSettings((key) => values[key], { workspaceFolder: "/ws", env, warn: (m) => warnings.push(m) });
  return { settings, warnings };
}

describe("readSettings", () => {
  it("returns the defaults when nothing is set", () => {
    const { settings, warnings } = read({});
    assert.deepEqual(settings, DEFAULTS);
    assert.deepEqual(warnings, []);
  });

  it("reads every key the manifest contributes, and no other", () => {
    const seen: string[] = [];
    readSettings((key) => { seen.push(key); return undefined; }, { env: {}, warn: () => undefined });
    const contributed = Object.keys(properties).map((k) => k.replace(/^mlsense\./, ""))
      .filter((k) => k !== "trace.server"); // read by vscode-languageclient itself
    assert.deepEqual([...seen].sort(), contributed.sort());
  });

  it("agrees with the manifest defaults", () => {
    const { settings } = read(Object.fromEntries(Object.entries(properties).map(([k, v]) => [k.replace(/^mlsense\./, ""), v.default])));
    assert.deepEqual(settings, DEFAULTS);
  });

  it("keeps valid values", () => {
    const { settings, warnings } = read({
      enable: false, select: ["mls2"], ignore: ["MLS301"], extendSelect: ["MLS9"],
      severity: { mls301: "error" }, "inlayHints.layerShapes": false, "verification.device": "cuda",
      "verification.timeout": 30, showNotifications: "always", importStrategy: "useBundled",
      interpreter: ["/venv/bin/python", "-X", "utf8"], args: ["--verbose"],
    });
    assert.deepEqual(warnings, []);
    assert.equal(settings.enable, false);
    assert.deepEqual(settings.select, ["mls2"]);
    assert.deepEqual(settings.severity, { MLS301: "error" });
    assert.equal(settings.inlayHints.layerShapes, false);
    assert.equal(settings.inlayHints.parameterCounts, true);
    assert.deepEqual(settings.verification, { device: "cuda", timeout: 30 });
    assert.deepEqual(settings.interpreter, ["/venv/bin/python", "-X", "utf8"]);
    assert.equal(settings.importStrategy, "useBundled");
  });

  it("falls back to the default for each malformed value and names it", () => {
    const { settings, warnings } = read({
      enable: "yes", select: "MLS2", "verification.device": "tpu", "verification.timeout": -1,
      severity: { MLS301: "fatal", MLS2: "warning" }, interpreter: "python", importStrategy: "bundled",
    });
    assert.equal(settings.enable, true);
    assert.equal(settings.select, null);
    assert.equal(settings.verification.device, "cpu");
    assert.equal(settings.verification.timeout, 300);
    assert.deepEqual(settings.severity, { MLS2: "warning" });
    assert.deepEqual(settings.interpreter, []);
    assert.equal(settings.importStrategy, "auto");
    for (const key of ["mlsense.enable", "mlsense.select", "mlsense.verification.device", "mlsense.verification.timeout",
      "mlsense.severity.MLS301", "mlsense.interpreter", "mlsense.importStrategy"]) {
      assert.ok(warnings.some((w) => w.includes(key)), `no warning names ${key}: ${warnings.join(" | ")}`);
    }
  });

  it("expands variables in interpreter and args", () => {
    const { settings } = read({ interpreter: ["${workspaceFolder}/.venv/bin/python"], args: ["--log=${env:LOGDIR}/x", "~/y"] }, { LOGDIR: "/tmp/l" });
    assert.deepEqual(settings.interpreter, ["/ws/.venv/bin/python"]);
    assert.deepEqual(settings.args, ["--log=/tmp/l/x", `${os.homedir()}/y`]);
    assert.equal(expandVariables("${env:UNSET_VAR_X}", { env: {} }), "");
    assert.equal(expandVariables("${workspaceFolder}", { env: {} }), "${workspaceFolder}");
  });
});

describe("buildInitializationOptions", () => {
  it("sends the analysis settings in the server's schema, codes upper-cased", () => {
    const { settings } = read({ select: [" mls2 ", ""], ignore: ["mls301"], severity: { MLS3: "hint" }, "verification.timeout": 42 });
    const options = buildInitializationOptions(settings, true);
    assert.deepEqual(options, {
      enable: true, select: ["MLS2"], ignore: ["MLS301"], extendSelect: [], severity: { MLS3: "hint" },
      inlayHints: { layerShapes: true, parameterCounts: true },
      verification: { enabled: true, device: "cpu", timeoutS: 42 },
      showNotifications: "onError", workspaceTrusted: true,
    });
    // How the process is started is not the server's business.
    for (const key of ["interpreter", "importStrategy", "args"]) {
      assert.ok(!(key in options), key);
    }
  });

  it("disables verification in an untrusted workspace", () => {
    const options = buildInitializationOptions(DEFAULTS, false);
    assert.equal(options.verification.enabled, false);
    assert.equal(options.workspaceTrusted, false);
  });

  it("keeps select null (pyproject decides) when unset", () => {
    assert.equal(buildInitializationOptions(DEFAULTS, true).select, null);
  });
});

describe("needsRestart", () => {
  it("restarts for process settings only", () => {
    for (const key of ["interpreter", "importStrategy", "args"]) {
      assert.equal(needsRestart((k) => k === key), true, key);
    }
    for (const key of ["select", "severity", "inlayHints", "verification", "showNotifications"]) {
      assert.equal(needsRestart((k) => k === key), false, key);
    }
  });
});
