/**
 * The server's life cycle: resolve the interpreter, check it, start the client, apply setting
 * changes (live where possible, by a debounced restart where not), and explain failures.
 */
import type { VsCodeApi } from "./api";
import { type CommandClient } from "./commands";
import { checkEnvironment, type EnvironmentCheck, type ExecFn, pipInstallCommand, resolveInterpreter } from "./interpreter";
import { RestartScheduler, type Timers } from "./restart";
import { buildServerCommand, type ServerCommand, ServerSetupError } from "./serverCommand";
import { buildInitializationOptions, type InitializationOptions, needsRestart, readSettings, type Settings } from "./settings";

/** A started language client. */
export interface ClientHandle extends CommandClient {
  /** Send `workspace/didChangeConfiguration` with `{settings: {mlsense: options}}`. */
  sendConfiguration(options: InitializationOptions): Promise<void>;
  stop(): Promise<void>;
}

export type ClientFactory = (command: ServerCommand, options: InitializationOptions) => Promise<ClientHandle>;

export const FIX_SELECT_INTERPRETER = "Select Interpreter";
export const FIX_INSTALL = "Install mlsense";
export const FIX_SETTINGS = "Open Settings";

/** Inside the extension: the server and its dependencies (platform-specific builds only). */
export const BUNDLED_LIBS = ["extension", "out", "bundled", "libs"] as const;
/** Inside the extension: the mlsense wheel that "Install mlsense" installs (every build). */
export const BUNDLED_WHEELS = ["extension", "out", "bundled", "wheels"] as const;

export class ServerManager {
  private client: ClientHandle | undefined;
  readonly scheduler: RestartScheduler;
  /** Outcome of the last environment check, for tests and the status tooltip. */
  lastCheck: EnvironmentCheck | undefined;

  constructor(
    private readonly api: VsCodeApi,
    private readonly createClient: ClientFactory,
    private readonly exec: ExecFn,
    private readonly env: Record<string, string | undefined>,
    timers?: Timers,
    debounceMs = 500,
  ) {
    this.scheduler = new RestartScheduler((reasons) => this.restart(reasons), debounceMs, timers);
  }

  get running(): CommandClient | undefined {
    return this.client;
  }

  /** Current settings for the active document's folder. */
  settings(): Settings {
    const resource = this.api.activeDocument()?.uri;
    return readSettings((key) => this.api.getSetting(key, resource), {
      workspaceFolder: this.api.workspaceFolder(resource),
      env: this.env,
      warn: (message) => this.api.logWarning(message),
    });
  }

  initializationOptions(): InitializationOptions {
    return buildInitializationOptions(this.settings(), this.api.isTrusted());
  }

  /** Start the server if enabled; failures are logged, shown (per mlsense.showNotifications) and leave it stopped. */
  async start(): Promise<boolean> {
    const settings = this.settings();
    if (!settings.enable) {
      this.api.setStatus("disabled", "disabled by mlsense.enable");
      return false;
    }
    this.api.setStatus("starting", "starting the server");
    const resource = this.api.activeDocument()?.uri;
    const interpreter = await resolveInterpreter(settings.interpreter, () => this.api.activePythonInterpreter(resource));
    this.api.logInfo(`Interpreter (${interpreter.source}): ${interpreter.command.join(" ")}`);
    let command: ServerCommand;
    try {
      const libs = this.api.extensionPath(...BUNDLED_LIBS);
      command = buildServerCommand({
        interpreter: interpreter.command, importStrategy: settings.importStrategy, extraArgs: settings.args,
        bundledLibs: this.api.pathExists(libs) ? libs : undefined, baseEnv: this.env, cwd: this.api.workspaceFolder(resource),
      });
    } catch (error) {
      if (error instanceof ServerSetupError) {
        await this.fail(settings, error.message, [FIX_SETTINGS], interpreter.command);
        return false;
      }
      throw error;
    }
    const wheel = this.shippedWheel();
    const check = await checkEnvironment(interpreter.command, command.env, this.exec, wheel);
    this.lastCheck = check;
    if (!check.ok) {
      const fixes = check.problem === "mlsense-missing" && wheel ? [FIX_INSTALL, FIX_SELECT_INTERPRETER, FIX_SETTINGS] : [FIX_SELECT_INTERPRETER, FIX_SETTINGS];
      await this.fail(settings, check.message, fixes, interpreter.command);
      return false;
    }
    this.api.logInfo(`Starting: ${command.command} ${command.args.join(" ")} (${check.message}; server ${command.source === "bundled" ? "bundled with the extension" : "from the interpreter's environment"})`);
    try {
      this.client = await this.createClient(command, buildInitializationOptions(settings, this.api.isTrusted()));
    } catch (error) {
      await this.fail(settings, `The MLSense server failed to start: ${(error as Error).message ?? error}`, [FIX_SETTINGS], interpreter.command);
      return false;
    }
    this.api.setStatus("running", check.message);
    return true;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        this.api.logWarning(`Stopping the server: ${(error as Error).message ?? error}`);
      }
    }
    this.api.setStatus("stopped", "server stopped");
  }

  async restart(reasons: string[] = []): Promise<void> {
    this.api.logInfo(`Restarting the server${reasons.length ? ` (${reasons.join(", ")})` : ""}.`);
    await this.stop();
    await this.start();
  }

  /** Apply a settings change: restart for process settings, else push the new options live. */
  async onSettingsChanged(affects: (key: string) => boolean): Promise<void> {
    if (needsRestart(affects) || affects("enable")) {
      this.scheduler.request("settings changed");
      return;
    }
    if (this.client) {
      await this.client.sendConfiguration(this.initializationOptions());
    }
  }

  /** Workspace trust was granted: restricted settings now apply, so restart. */
  onTrustGranted(): void {
    this.scheduler.request("workspace trusted");
  }

  private async fail(settings: Settings, message: string, fixes: string[], interpreter: string[]): Promise<void> {
    this.api.logError(message);
    this.api.setStatus("error", message);
    if (settings.showNotifications === "off") {
      return;
    }
    const choice = await this.api.showMessage("error", message, ...fixes);
    await this.applyFix(choice, interpreter);
  }

  /** The mlsense wheel shipped inside the extension (`extension/out/bundled/wheels/`), if any. */
  private shippedWheel(): string | undefined {
    const dir = this.api.extensionPath(...BUNDLED_WHEELS);
    const name = this.api.listDirectory(dir).find((n) => /^mlsense-[^-]+-py3-none-any\.whl$/.test(n));
    return name ? this.api.extensionPath(...BUNDLED_WHEELS, name) : undefined;
  }

  private async applyFix(choice: string | undefined, interpreter: string[]): Promise<void> {
    const wheel = this.shippedWheel();
    if (choice === FIX_INSTALL && wheel) {
      this.api.runInTerminal("MLSense: install", pipInstallCommand(interpreter, wheel));
      this.api.logInfo("When the install finishes, run 'MLSense: Restart server'.");
    } else if (choice === FIX_SELECT_INTERPRETER) {
      try {
        await this.api.executeCommand("python.setInterpreter");
      } catch {
        await this.api.executeCommand("workbench.action.openSettings", "mlsense.interpreter");
      }
    } else if (choice === FIX_SETTINGS) {
      await this.api.executeCommand("workbench.action.openSettings", "mlsense");
    }
  }

  dispose(): void {
    this.scheduler.dispose();
  }
}
