import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ExecFn } from "../../src/interpreter";
import { type ClientFactory, type ClientHandle, FIX_INSTALL, ServerManager } from "../../src/manager";
import { COMMAND_IDS, registerCommands } from "../../src/register";
import type { ServerCommand } from "../../src/serverCommand";
import type { InitializationOptions } from "../../src/settings";
import { configurationResponse, DOCUMENT_SELECTOR } from "../../src/documentSelector";
import { FakeApi, FakeTimers, settle } from "../fakeApi";
import { repoRoot } from "../paths";

/** An interpreter that reports `mlsense` (or not) without starting a process. */
function exec(mlsense: string | null, log: string[][] = []): ExecFn {
  return async (command, args) => {
    log.push([command, ...args]);
    return { code: 0, stdout: JSON.stringify({ python: [3, 11, 7], executable: command, mlsense }), stderr: "" };
  };
}

interface Started { command: ServerCommand; options: InitializationOptions; configs: InitializationOptions[]; stopped: boolean }

/** Records what the language client would have been started with. */
function factory(started: Started[]): ClientFactory {
  return async (command, options) => {
    const entry: Started = { command, options, configs: [], stopped: false };
    started.push(entry);
    const handle: ClientHandle = {
      executeCommand: async () => undefined,
      sendConfiguration: async (next) => { entry.configs.push(next); },
      stop: async () => { entry.stopped = true; },
    };
    return handle;
  };
}

describe("ServerManager", () => {
  it("starts the server with the resolved interpreter and the settings as initializationOptions", async () => {
    const api = new FakeApi();
    api.python = ["/ws/.venv/bin/python"];
    api.settings = { select: ["MLS3"], args: ["--verbose"] };
    const started: Started[] = [];
    const execLog: string[][] = [];
    const mgr = new ServerManager(api, factory(started), exec("0.1.0", execLog), { PATH: "/bin" });
    assert.equal(await mgr.start(), true);
    assert.equal(execLog[0][0], "/ws/.venv/bin/python");
    assert.equal(started[0].command.command, "/ws/.venv/bin/python");
    assert.deepEqual(started[0].command.args, ["-m", "mlsense", "serve", "--verbose"]);
    assert.deepEqual(started[0].options.select, ["MLS3"]);
    assert.equal(api.status?.state, "running");
    assert.ok(api.called("logInfo").some((c) => String(c.args[0]).includes("Interpreter (python-extension)")));
  });

  it("does not start when disabled", async () => {
    const api = new FakeApi();
    api.settings = { enable: false };
    const started: Started[] = [];
    assert.equal(await new ServerManager(api, factory(started), exec("0.1.0"), {}).start(), false);
    assert.equal(started.length, 0);
    assert.equal(api.status?.state, "disabled");
  });

  it("offers to install mlsense when the interpreter lacks it, and runs pip on the shipped wheel in a terminal", async () => {
    const api = new FakeApi();
    api.settings = { interpreter: ["/env/bin/python"] };
    api.paths.add("/ext/extension/out/bundled/wheels/mlsense-0.1.0-py3-none-any.whl");
    api.answers = [FIX_INSTALL];
    const started: Started[] = [];
    assert.equal(await new ServerManager(api, factory(started), exec(null), {}).start(), false);
    assert.equal(started.length, 0);
    const [level, message, actions] = api.called("showMessage")[0].args;
    assert.equal(level, "error");
    assert.match(String(message), /mlsense package is not installed/);
    assert.ok((actions as string[]).includes(FIX_INSTALL));
    assert.deepEqual(api.called("runInTerminal")[0].args, ["MLSense: install", "/env/bin/python -m pip install /ext/extension/out/bundled/wheels/mlsense-0.1.0-py3-none-any.whl"]);
    assert.equal(api.status?.state, "error");
  });

  it("offers no install without a shipped wheel (never a name from a package index)", async () => {
    const api = new FakeApi();
    api.settings = { interpreter: ["/env/bin/python"] };
    await new ServerManager(api, factory([]), exec(null), {}).start();
    const actions = api.called("showMessage")[0].args[2] as string[];
    assert.ok(!actions.includes(FIX_INSTALL));
  });

  it("only logs failures when notifications are off", async () => {
    const api = new FakeApi();
    api.settings = { showNotifications: "off" };
    await new ServerManager(api, factory([]), exec(null), {}).start();
    assert.equal(api.called("showMessage").length, 0);
    assert.equal(api.called("logError").length, 1);
  });

  it("explains useBundled in a build without the bundled server", async () => {
    const api = new FakeApi();
    api.settings = { importStrategy: "useBundled" };
    const started: Started[] = [];
    await new ServerManager(api, factory(started), exec("0.1.0"), {}).start();
    assert.equal(started.length, 0);
    assert.match(String(api.called("showMessage")[0].args[1]), /ships no server/);
  });

  it("uses the bundled libraries when the build has them (useBundled, and auto by default)", async () => {
    for (const settings of [{ importStrategy: "useBundled" }, {}]) {
      const api = new FakeApi();
      api.settings = settings;
      api.paths.add("/ext/extension/out/bundled/libs");
      const started: Started[] = [];
      await new ServerManager(api, factory(started), exec("0.1.0"), {}).start();
      assert.equal(started[0].command.env.PYTHONPATH, "/ext/extension/out/bundled/libs");
      assert.ok(api.called("logInfo").some((c) => /bundled with the extension/.test(String(c.args[0]))));
    }
  });

  it("pushes analysis settings live and restarts (debounced) for process settings", async () => {
    const api = new FakeApi();
    const timers = new FakeTimers();
    const started: Started[] = [];
    const mgr = new ServerManager(api, factory(started), exec("0.1.0"), {}, timers, 200);
    api.onDidChangeSettings((affects) => void mgr.onSettingsChanged(affects));
    await mgr.start();
    api.change({ severity: { MLS301: "error" } });
    await settle();
    assert.equal(started.length, 1, "no restart for an analysis setting");
    assert.deepEqual(started[0].configs.map((c) => c.severity), [{ MLS301: "error" }]);

    api.change({ interpreter: ["/a/python"] });
    api.change({ args: ["--verbose"] });
    await settle();
    assert.equal(started.length, 1, "restart waits for the debounce");
    timers.advance(200);
    await settle();
    assert.equal(started.length, 2, "one restart for the burst");
    assert.equal(started[0].stopped, true);
    assert.equal(started[1].command.command, "/a/python");
    assert.deepEqual(started[1].command.args.slice(-1), ["--verbose"]);
  });
});

describe("manifest", () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8"));

  it("contributes exactly the commands that are registered", async () => {
    const api = new FakeApi();
    registerCommands(api, new ServerManager(api, factory([]), exec("0.1.0"), {}));
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual([...api.commands.keys()].sort(), contributed);
    assert.deepEqual([...COMMAND_IDS].sort(), contributed);
  });

  it("declares limited untrusted-workspace support restricting interpreter and args", () => {
    const u = manifest.capabilities.untrustedWorkspaces;
    assert.equal(u.supported, "limited");
    assert.deepEqual(u.restrictedConfigurations, ["mlsense.interpreter", "mlsense.args"]);
    assert.match(u.description, /Verify translation/);
  });

  it("answers workspace/configuration for section mlsense with the validated options only", () => {
    assert.deepEqual(configurationResponse([{ section: "mlsense" }, { section: "mlsense" }], { a: 1 }), [{ a: 1 }, { a: 1 }]);
    assert.equal(configurationResponse([{ section: "python" }], { a: 1 }), undefined);
    assert.equal(configurationResponse([{ section: "mlsense" }, {}], { a: 1 }), undefined);
    assert.equal(configurationResponse([], { a: 1 }), undefined);
  });

  it("sends notebooks' Python cells to the server", () => {
    assert.ok(DOCUMENT_SELECTOR.some((f) => "notebook" in f && f.notebook === "jupyter-notebook" && f.language === "python"));
    assert.ok(manifest.activationEvents.includes("onNotebook:jupyter-notebook"));
  });
});

describe("registered commands", () => {
  it("verify in an untrusted workspace asks nothing and sends nothing", async () => {
    const api = new FakeApi();
    api.trusted = false;
    const sent: unknown[] = [];
    const mgr = new ServerManager(api, async () => ({ executeCommand: async (...a) => { sent.push(a); }, sendConfiguration: async () => undefined, stop: async () => undefined }), exec("0.1.0"), {});
    await mgr.start();
    registerCommands(api, mgr);
    await api.commands.get("mlsense.verify")?.();
    assert.equal(sent.length, 0);
    assert.equal(api.called("showQuickPick").length, 0);
    assert.equal(api.called("showMessage")[0].args[0], "warning");
  });

  it("translate then verify reuses the translation's target and the device setting", async () => {
    const api = new FakeApi();
    api.settings = { "verification.device": "all" };
    const sent: Array<[string, unknown[]]> = [];
    const mgr = new ServerManager(api, async () => ({
      executeCommand: async (command: string, args: unknown[]) => {
        sent.push([command, args]);
        return command === "mlsense.translateFramework" ? { targetCode: "x", unsupported: [] } : { verified: true, max_abs_error: 0, devices: ["cpu"], message: "" };
      },
      sendConfiguration: async () => undefined, stop: async () => undefined,
    }), exec("0.1.0"), {});
    await mgr.start();
    registerCommands(api, mgr);
    await api.commands.get("mlsense.translateToPyTorch")?.();
    await api.commands.get("mlsense.verify")?.();
    assert.deepEqual(sent, [
      ["mlsense.translateFramework", [{ uri: "file:///ws/model.py", target: "pytorch" }]],
      ["mlsense.verifyTranslation", [{ uri: "file:///ws/model.py", target: "pytorch", device: "all" }]],
    ]);
    assert.equal(api.called("showQuickPick").length, 0);
  });

  it("a command with no running server says so and offers the output", async () => {
    const api = new FakeApi();
    api.answers = ["Show output"];
    registerCommands(api, new ServerManager(api, factory([]), exec("0.1.0"), {}));
    await api.commands.get("mlsense.translateToKeras")?.();
    assert.match(String(api.called("showMessage")[0].args[1]), /server is not running/);
    assert.equal(api.called("showOutput").length, 1);
  });
});
