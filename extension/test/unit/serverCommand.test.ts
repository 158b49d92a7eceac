import assert from "node:assert/strict";
import { delimiter } from "node:path";
import { describe, it } from "node:test";
import { buildServerCommand, ServerSetupError } from "../../src/serverCommand";

describe("buildServerCommand", () => {
  it("runs `python -m mlsense serve` with leading and extra arguments", () => {
    const cmd = buildServerCommand({ interpreter: ["/venv/bin/python", "-X", "utf8"], importStrategy: "fromEnvironment",
      extraArgs: ["--verbose"], baseEnv: { PATH: "/bin", PYTHONPATH: "/mine" }, cwd: "/ws" });
    assert.equal(cmd.command, "/venv/bin/python");
    assert.deepEqual(cmd.args, ["-X", "utf8", "-m", "mlsense", "serve", "--verbose"]);
    assert.equal(cmd.env.PYTHONPATH, "/mine", "fromEnvironment leaves PYTHONPATH alone");
    assert.equal(cmd.env.PYTHONUNBUFFERED, "1");
    assert.equal(cmd.env.PATH, "/bin");
    assert.equal(cmd.cwd, "/ws");
  });

  it("puts the bundled libraries first on PYTHONPATH for useBundled", () => {
    const cmd = buildServerCommand({ interpreter: ["python3"], importStrategy: "useBundled", extraArgs: [],
      bundledLibs: "/ext/bundled/libs", baseEnv: { PYTHONPATH: "/mine" } });
    assert.equal(cmd.env.PYTHONPATH, `/ext/bundled/libs${delimiter}/mine`);
    const alone = buildServerCommand({ interpreter: ["python3"], importStrategy: "useBundled", extraArgs: [], bundledLibs: "/b", baseEnv: {} });
    assert.equal(alone.env.PYTHONPATH, "/b");
  });

  it("auto: the bundled server when the build ships it, else the environment's", () => {
    const bundled = buildServerCommand({ interpreter: ["python3"], importStrategy: "auto", extraArgs: [], bundledLibs: "/b", baseEnv: {} });
    assert.equal(bundled.env.PYTHONPATH, "/b");
    assert.equal(bundled.source, "bundled");
    const env = buildServerCommand({ interpreter: ["python3"], importStrategy: "auto", extraArgs: [], baseEnv: { PYTHONPATH: "/mine" } });
    assert.equal(env.env.PYTHONPATH, "/mine");
    assert.equal(env.source, "environment");
    const forced = buildServerCommand({ interpreter: ["python3"], importStrategy: "fromEnvironment", extraArgs: [], bundledLibs: "/b", baseEnv: {} });
    assert.equal(forced.env.PYTHONPATH, undefined, "fromEnvironment ignores the bundle");
  });

  it("explains that useBundled needs the platform-specific build", () => {
    assert.throws(() => buildServerCommand({ interpreter: ["python3"], importStrategy: "useBundled", extraArgs: [], baseEnv: {} }),
      (e: unknown) => e instanceof ServerSetupError && /fromEnvironment/.test(e.message) && /platform-specific/.test(e.message));
  });

  it("refuses an empty interpreter", () => {
    assert.throws(() => buildServerCommand({ interpreter: [], importStrategy: "fromEnvironment", extraArgs: [], baseEnv: {} }), ServerSetupError);
  });
});
