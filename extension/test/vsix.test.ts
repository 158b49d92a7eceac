/**
 * Checks the packaged extension (built by extension/build.sh): manifest fields, the bundled entry
 * point and what it requires at run time, and that nothing but runtime files is shipped. The
 * platform-specific build, when present, must start its bundled server with a Python that does
 * not have mlsense installed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { buildServerCommand } from "../src/serverCommand";
import { checkEnvironment, execProcess } from "../src/interpreter";
import { repoRoot } from "./paths";
import { readZip, readZipBuffer, type ZipEntry } from "./zip";

const root = repoRoot();
const source = JSON.parse(require("node:fs").readFileSync(join(root, "package.json"), "utf8"));
const vsixPath = join(root, `mlsense-${source.version}.vsix`);
const platformVsix = join(root, `mlsense-linux-x64-${source.version}.vsix`);

function commonChecks(entries: Map<string, ZipEntry>): void {
  const names = [...entries.keys()];
  const manifest = JSON.parse(entries.get("extension/package.json")!.read().toString("utf8"));
  assert.equal(manifest.name, "mlsense");
  assert.equal(manifest.publisher, source.publisher);
  assert.equal(manifest.version, source.version);
  assert.equal(manifest.main, "./extension/out/extension.js");
  assert.equal(manifest.engines.vscode, source.engines.vscode);
  assert.ok(manifest.contributes.configuration.properties["mlsense.interpreter"]);
  assert.ok(entries.has("extension.vsixmanifest"), "vsce's manifest");
  assert.match(entries.get("extension.vsixmanifest")!.read().toString("utf8"), new RegExp(`Version="${source.version.replace(/\./g, "\\.")}"`));
  assert.ok(entries.has("extension/extension/out/extension.js"), "the bundled entry point");
  assert.ok(entries.has("extension/readme.md") || entries.has("extension/README.md"), names.join(", "));

  // Nothing that is not needed at run time.
  const junk = names.filter((n) => /\.tsx?$|\.map$|(^|\/)node_modules\/|(^|\/)test(s)?\/|esbuild\.mjs$|tsconfig\.json$|package-lock\.json$|\.venv\/|\.git\//.test(n)
    && !n.includes("/bundled/libs/"));
  assert.deepEqual(junk, []);
}

/** Every module the bundle requires must be a Node built-in or `vscode` (dependencies are bundled). */
function requiredModules(bundle: string): string[] {
  const found = new Set<string>();
  for (const m of bundle.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)) {
    found.add(m[1]);
  }
  return [...found];
}

describe(".vsix package", { skip: existsSync(vsixPath) ? false : `${vsixPath} not built: run extension/build.sh` }, () => {
  const entries = readZip(vsixPath);

  it("has the manifest, the entry point and only runtime files", () => {
    commonChecks(entries);
    const python = [...entries.keys()].filter((n) => n.endsWith(".py"));
    assert.deepEqual(python, [], "the default package does not bundle the server (fromEnvironment)");
  });

  it("ships the mlsense wheel that 'Install mlsense' installs", () => {
    const wheels = [...entries.keys()].filter((n) => /^extension\/extension\/out\/bundled\/wheels\/mlsense-[^-]+-py3-none-any\.whl$/.test(n));
    assert.equal(wheels.length, 1, [...entries.keys()].join(", "));
    const wheel = readZipBuffer(entries.get(wheels[0])!.read());
    assert.ok(wheel.has("mlsense/server/lsp/server.py"), "the wheel carries the server");
  });

  it("needs nothing at run time but Node built-ins and the vscode API", () => {
    const bundle = entries.get("extension/extension/out/extension.js")!.read().toString("utf8");
    const allowed = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), "vscode"]);
    const missing = requiredModules(bundle).filter((m) => !allowed.has(m));
    assert.deepEqual(missing, []);
    assert.ok(bundle.includes("mlsense.translateFramework"), "the commands are in the bundle");
    assert.ok(bundle.length < 1_000_000, `bundle is ${bundle.length} bytes`);
  });

  it("loads in Node and exports activate/deactivate", () => {
    const bundle = entries.get("extension/extension/out/extension.js")!.read().toString("utf8");
    // VS Code provides `vscode`; at load time the bundle may only touch it lazily, so any
    // stand-in object that answers every property is enough to evaluate the module.
    const anything: object = new Proxy(function stub() { /* callable and constructible */ }, {
      get: (_target, key) => (key === Symbol.toPrimitive ? () => "" : anything),
    });
    const mod = { exports: {} as Record<string, unknown> };
    const load = new Function("require", "module", "exports", "__filename", "__dirname", bundle);
    load((name: string) => (name === "vscode" ? anything : require(name)), mod, mod.exports, "extension.js", root);
    assert.equal(typeof mod.exports.activate, "function");
    assert.equal(typeof mod.exports.deactivate, "function");
  });
});

describe("platform-specific .vsix (useBundled)", { skip: existsSync(platformVsix) ? false : `${platformVsix} not built: run extension/build.sh --target linux-x64` }, () => {
  const entries = existsSync(platformVsix) ? readZip(platformVsix) : new Map<string, ZipEntry>();
  const libs = "extension/extension/out/bundled/libs/";

  it("bundles the server, its dependencies and libcst's native code for each supported Python", () => {
    commonChecks(entries);
    for (const file of ["mlsense/__init__.py", "mlsense/__main__.py", "mlsense/server/lsp/server.py", "mlsense/analyzers/engine.py", "pygls/__init__.py", "lsprotocol/types.py"]) {
      assert.ok(entries.has(libs + file), file);
    }
    for (const py of ["311", "312", "313"]) {
      assert.ok([...entries.keys()].some((n) => n.startsWith(`${libs}libcst/native.cpython-${py}-x86_64-linux-gnu`)), `libcst native for cp${py}`);
    }
    const manifest = entries.get("extension.vsixmanifest")!.read().toString("utf8");
    assert.match(manifest, /TargetPlatform="linux-x64"/);
  });

  it("starts the bundled server with a Python that lacks mlsense", { timeout: 60_000 }, async (t) => {
    const python = process.env.MLSENSE_BUNDLE_PYTHON ?? "python3";
    const bare = await checkEnvironment([python, "-s"], { ...process.env, PYTHONPATH: "" }, execProcess);
    if (bare.problem !== "mlsense-missing") {
      t.skip(`${python} must be a Python 3.11+ without mlsense installed (${bare.message})`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "mlsense-vsix-"));
    for (const entry of entries.values()) {
      if (entry.name.startsWith(libs)) {
        const target = join(dir, entry.name.slice(libs.length));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, entry.read());
      }
    }
    const command = buildServerCommand({ interpreter: [python, "-s"], importStrategy: "useBundled", extraArgs: [], bundledLibs: dir, baseEnv: { PATH: process.env.PATH } });
    const check = await checkEnvironment([python, "-s"], command.env, execProcess);
    assert.equal(check.ok, true, check.message);
    // One LSP initialize/shutdown/exit round trip over stdio, framed by hand.
    const frame = (msg: object) => { const body = JSON.stringify(msg); return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`; };
    const input = frame({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } })
      + frame({ jsonrpc: "2.0", method: "initialized", params: {} })
      + frame({ jsonrpc: "2.0", id: 2, method: "shutdown" }) + frame({ jsonrpc: "2.0", method: "exit" });
    const run = spawnSync(command.command, command.args, { env: command.env as NodeJS.ProcessEnv, input, timeout: 45_000 });
    const out = run.stdout.toString();
    assert.equal(run.status, 0, `exit ${run.status}: ${run.stderr.toString()}`);
    assert.match(out, /"id":\s*1,.*"capabilities"/s);
    assert.match(out, /mlsense/i);
  });
});
