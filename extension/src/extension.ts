/** Entry point: wires the wrapper, the server manager and the commands together. */
import * as vscode from "vscode";
import { languageClientFactory } from "./client";
import { execProcess } from "./interpreter";
import { ServerManager } from "./manager";
import { registerCommands } from "./register";
import { createVsCodeApi } from "./vscodeapi";

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = vscode.window.createOutputChannel("MLSense", { log: true });
  context.subscriptions.push(channel);
  const api = createVsCodeApi(context, channel);
  manager = new ServerManager(api, languageClientFactory(api, channel), execProcess, { ...process.env });
  const mgr = manager;
  registerCommands(api, mgr);
  context.subscriptions.push(
    api.onDidChangeSettings((affects) => void mgr.onSettingsChanged(affects)),
    api.onDidGrantTrust(() => mgr.onTrustGranted()),
    api.onDidChangePythonInterpreter(() => {
      // Only the Python extension's environment matters when no interpreter is configured.
      if (mgr.settings().interpreter.length === 0) {
        mgr.scheduler.request("Python environment changed");
      }
    }),
    { dispose: () => mgr.dispose() },
  );
  await mgr.start();
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager?.dispose();
  manager = undefined;
}
