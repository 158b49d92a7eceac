/**
 * The one module that calls the `vscode` API (and the Python extension's API, which wraps it).
 *
 * Everything else receives a {@link VsCodeApi}; unit tests pass their own implementation.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { PythonExtension } from "@vscode/python-extension";
import type { ActiveDocument, CancelToken, Disposable, MessageLevel, ServerState, VsCodeApi } from "./api";

const SECTION = "mlsense";

const STATUS_ICONS: Record<ServerState, string> = {
  starting: "$(sync~spin)",
  running: "$(check)",
  stopped: "$(circle-slash)",
  error: "$(error)",
  disabled: "$(circle-slash)",
};

/** Load the Python extension's API only when that extension is installed (it is optional). */
async function pythonApi(): Promise<PythonExtension | undefined> {
  if (!vscode.extensions.getExtension("ms-python.python")) {
    return undefined;
  }
  try {
    const { PythonExtension } = await import("@vscode/python-extension");
    return await PythonExtension.api();
  } catch {
    return undefined;
  }
}

function parse(uri: string): vscode.Uri {
  return vscode.Uri.parse(uri);
}

/** Build the wrapper for one activated extension. */
export function createVsCodeApi(context: vscode.ExtensionContext, channel: vscode.LogOutputChannel): VsCodeApi {
  const status = vscode.window.createStatusBarItem("mlsense.status", vscode.StatusBarAlignment.Right, 100);
  status.name = "MLSense";
  status.command = "mlsense.showOutput";
  context.subscriptions.push(status);
  let reportPanel: vscode.WebviewPanel | undefined;
  let reportListener: vscode.Disposable | undefined;

  return {
    getSetting<T>(key: string, resource?: string): T | undefined {
      const config = vscode.workspace.getConfiguration(SECTION, resource ? parse(resource) : undefined);
      return config.get<T>(key);
    },
    onDidChangeSettings(listener: (affects: (key: string) => boolean) => void): Disposable {
      return vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(SECTION)) {
          listener((key) => event.affectsConfiguration(`${SECTION}.${key}`));
        }
      });
    },
    workspaceFolder(resource?: string): string | undefined {
      const folder = resource ? vscode.workspace.getWorkspaceFolder(parse(resource)) : undefined;
      return (folder ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath;
    },
    isTrusted: () => vscode.workspace.isTrusted,
    onDidGrantTrust: (listener) => vscode.workspace.onDidGrantWorkspaceTrust(listener),
    async activePythonInterpreter(resource?: string): Promise<string[] | undefined> {
      const api = await pythonApi();
      if (!api) {
        return undefined;
      }
      const envPath = api.environments.getActiveEnvironmentPath(resource ? parse(resource) : undefined);
      const env = await api.environments.resolveEnvironment(envPath);
      const exe = env?.executable.uri?.fsPath;
      return exe ? [exe] : undefined;
    },
    onDidChangePythonInterpreter(listener: () => void): Disposable {
      let sub: Disposable | undefined;
      let disposed = false;
      void pythonApi().then((api) => {
        if (api && !disposed) {
          sub = api.environments.onDidChangeActiveEnvironmentPath(() => listener());
        }
      });
      return { dispose: () => { disposed = true; sub?.dispose(); } };
    },
    logInfo: (message) => channel.info(message),
    logWarning: (message) => channel.warn(message),
    logError: (message) => channel.error(message),
    showOutput: () => channel.show(true),
    showMessage(level: MessageLevel, message: string, ...actions: string[]): Promise<string | undefined> {
      const show = level === "error" ? vscode.window.showErrorMessage
        : level === "warning" ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      return Promise.resolve(show(message, ...actions));
    },
    setStatus(state: ServerState, detail: string): void {
      status.text = `${STATUS_ICONS[state]} MLSense`;
      status.tooltip = `MLSense: ${detail}`;
      status.backgroundColor = state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
      status.show();
    },
    activeDocument(): ActiveDocument | undefined {
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc) {
        return undefined;
      }
      return { uri: doc.uri.toString(), languageId: doc.languageId, fsPath: doc.uri.scheme === "file" ? doc.uri.fsPath : undefined };
    },
    async fileExists(uri: string): Promise<boolean> {
      try {
        await vscode.workspace.fs.stat(parse(uri));
        return true;
      } catch {
        return false;
      }
    },
    async openFileBeside(uri: string): Promise<void> {
      const doc = await vscode.workspace.openTextDocument(parse(uri));
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    },
    async openUntitledBeside(content: string, languageId: string): Promise<void> {
      const doc = await vscode.workspace.openTextDocument({ content, language: languageId });
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    },
    async openDiff(leftUri: string, content: string, languageId: string, title: string): Promise<void> {
      const doc = await vscode.workspace.openTextDocument({ content, language: languageId });
      await vscode.commands.executeCommand("vscode.diff", parse(leftUri), doc.uri, title, { viewColumn: vscode.ViewColumn.Beside });
    },
    showReport(title: string, html: string, onOpenLine: (line: number) => void): void {
      if (!reportPanel) {
        reportPanel = vscode.window.createWebviewPanel("mlsense.verificationReport", title,
          { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, enableFindWidget: true });
        reportPanel.onDidDispose(() => { reportPanel = undefined; reportListener?.dispose(); reportListener = undefined; });
        context.subscriptions.push(reportPanel);
      }
      reportListener?.dispose();
      reportListener = reportPanel.webview.onDidReceiveMessage((msg: { command?: string; line?: unknown }) => {
        if (msg?.command === "openLine" && typeof msg.line === "number") {
          onOpenLine(msg.line);
        }
      });
      reportPanel.title = title;
      reportPanel.webview.html = html;
      reportPanel.reveal(vscode.ViewColumn.Beside, true);
    },
    async openFileAt(uri: string, line: number): Promise<void> {
      const doc = await vscode.workspace.openTextDocument(parse(uri));
      const at = new vscode.Position(Math.max(0, line - 1), 0);
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(at, at) });
    },
    showQuickPick: (items, placeholder) => Promise.resolve(vscode.window.showQuickPick(items, { placeHolder: placeholder })),
    withProgress<T>(title: string, task: (token: CancelToken) => Promise<T>): Promise<T> {
      return Promise.resolve(vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        (_progress, token) => task(token),
      ));
    },
    registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
      const sub = vscode.commands.registerCommand(id, handler);
      context.subscriptions.push(sub);
      return sub;
    },
    executeCommand: (id, ...args) => Promise.resolve(vscode.commands.executeCommand(id, ...args)),
    runInTerminal(name: string, commandLine: string): void {
      const terminal = vscode.window.createTerminal(name);
      terminal.show();
      terminal.sendText(commandLine);
    },
    extensionPath: (...segments) => path.join(context.extensionPath, ...segments),
    pathExists: (fsPath) => fs.existsSync(fsPath),
    listDirectory(fsPath: string): string[] {
      try {
        return fs.readdirSync(fsPath);
      } catch {
        return [];
      }
    },
  };
}
