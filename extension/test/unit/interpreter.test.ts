import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkEnvironment, DEFAULT_INTERPRETER, type ExecFn, execProcess, pipInstallCommand, resolveInterpreter } from "../../src/interpreter";
import { mlsensePython } from "../paths";

describe("resolveInterpreter", () => {
  it("prefers the mlsense.interpreter setting over the Python extension", async () => {
    let asked = false;
    const r = await resolveInterpreter(["/opt/py/bin/python", "-X", "utf8"], async () => { asked = true; return ["/other"]; });
    assert.deepEqual(r, { command: ["/opt/py/bin/python", "-X", "utf8"], source: "setting" });
    assert.equal(asked, false, "the Python extension must not be consulted when the setting is set");
  });

  it("uses the Python extension's active environment next", async () => {
    const r = await resolveInterpreter([], async () => ["/ws/.venv/bin/python"]);
    assert.deepEqual(r, { command: ["/ws/.venv/bin/python"], source: "python-extension" });
  });

  it("falls back to python3 when the Python extension is absent, empty or broken", async () => {
    for (const provider of [async () => undefined, async () => [], async () => { throw new Error("boom"); }]) {
      assert.deepEqual(await resolveInterpreter([], provider), { command: [DEFAULT_INTERPRETER], source: "default" });
    }
  });
});

/** A stand-in interpreter: a shell script that prints what a given Python would print. */
function fakePython(stdout: string, exitCode = 0): string {
  const dir = mkdtempSync(join(tmpdir(), "mlsense-py-"));
  const path = join(dir, "python");
  writeFileSync(path, `#!/bin/sh\ncat <<'JSON'\n${stdout}\nJSON\nexit ${exitCode}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("checkEnvironment", () => {
  it("reports a missing interpreter with a fix", async () => {
    const r = await checkEnvironment(["/nonexistent/python3.11"], process.env, execProcess);
    assert.equal(r.ok, false);
    assert.equal(r.problem, "not-found");
    assert.match(r.message, /could not be started.*ENOENT.*mlsense\.interpreter/);
  });

  it("rejects a Python older than 3.11", async () => {
    const py = fakePython('{"python": [3, 9, 18], "executable": "/usr/bin/python3.9", "mlsense": "0.1.0"}');
    const r = await checkEnvironment([py], process.env, execProcess);
    assert.equal(r.problem, "too-old");
    assert.match(r.message, /needs Python 3\.11 or newer.*3\.9\.18/);
  });

  it("explains how to install mlsense when it is missing: the wheel shipped with the extension", async () => {
    const py = fakePython('{"python": [3, 12, 1], "executable": "/env/bin/python", "mlsense": null}');
    const r = await checkEnvironment([py], process.env, execProcess, "/ext/wheels/mlsense-0.1.0-py3-none-any.whl");
    assert.equal(r.problem, "mlsense-missing");
    assert.ok(r.message.includes(`${py} -m pip install /ext/wheels/mlsense-0.1.0-py3-none-any.whl`), r.message);
    const without = await checkEnvironment([py], process.env, execProcess);
    assert.doesNotMatch(without.message, /pip install/, "no wheel: never a name from a package index");
    assert.match(without.message, /platform-specific extension/);
  });

  it("reports an interpreter that crashes", async () => {
    const py = fakePython("Traceback: something broke", 3);
    const r = await checkEnvironment([py], process.env, execProcess);
    assert.equal(r.problem, "failed");
    assert.match(r.message, /exit 3.*something broke/);
  });

  it("passes the leading interpreter arguments before -c", async () => {
    const seen: string[][] = [];
    const exec: ExecFn = async (command, args) => { seen.push([command, ...args]); return { code: 0, stdout: '{"python":[3,11,0],"executable":"x","mlsense":"1"}', stderr: "" }; };
    const r = await checkEnvironment(["py", "-3.11"], {}, exec);
    assert.equal(r.ok, true);
    assert.deepEqual(seen[0].slice(0, 3), ["py", "-3.11", "-c"]);
  });

  const real = mlsensePython();
  it("accepts the real development interpreter, which has mlsense", { skip: real ? false : "no .venv and no MLSENSE_PYTHON" }, async () => {
    const r = await checkEnvironment([real as string], process.env, execProcess);
    assert.equal(r.ok, true, r.message);
    assert.ok(r.python && r.python[0] === 3 && r.python[1] >= 11);
    assert.match(r.message, /mlsense \d+\.\d+/);
  });
});

describe("pipInstallCommand", () => {
  it("quotes paths with spaces", () => {
    assert.equal(pipInstallCommand(["/My Envs/bin/python"], "/ext/w/mlsense-0.1.0-py3-none-any.whl"),
      '"/My Envs/bin/python" -m pip install /ext/w/mlsense-0.1.0-py3-none-any.whl');
    assert.equal(pipInstallCommand(["py", "-3.11"], "C:/My Ext/mlsense-0.1.0-py3-none-any.whl"),
      'py -3.11 -m pip install "C:/My Ext/mlsense-0.1.0-py3-none-any.whl"');
  });
});
