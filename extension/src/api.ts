/**
 * The editor operations the extension needs, as a plain interface.
 *
 * `vscodeapi.ts` implements it with the real `vscode` module; it is the only file that calls
 * `vscode.*`. Every other module takes a `VsCodeApi`, so unit tests run them in plain Node with a
 * small in-memory implementation (no VS Code download needed).
 */

/** A cancellation token: `vscode.CancellationToken` satisfies it structurally. */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export type MessageLevel = "info" | "warning" | "error";

/** What the status bar item shows. */
export type ServerState = "starting" | "running" | "stopped" | "error" | "disabled";

/** The editor that has focus, reduced to what commands need. */
export interface ActiveDocument {
  uri: string;
  languageId: string;
  /** File-system path when the document is a file (not untitled, not a notebook cell). */
  fsPath?: string;
}

export interface Disposable {
  dispose(): void;
}

export interface VsCodeApi {
  /** `mlsense.<key>` for the given resource (a URI string), or undefined if unset/unknown. */
  getSetting<T>(key: string, resource?: string): T | undefined;
  /** Subscribe to setting changes; the callback asks whether `mlsense.<key>` was affected. */
  onDidChangeSettings(listener: (affects: (key: string) => boolean) => void): Disposable;
  /** Folder (path) of the workspace folder containing `resource`, else the first folder. */
  workspaceFolder(resource?: string): string | undefined;
  isTrusted(): boolean;
  onDidGrantTrust(listener: () => void): Disposable;
  /** Interpreter command of the Python extension's active environment, if it is installed. */
  activePythonInterpreter(resource?: string): Promise<string[] | undefined>;
  onDidChangePythonInterpreter(listener: () => void): Disposable;

  logInfo(message: string): void;
  logWarning(message: string): void;
  logError(message: string): void;
  showOutput(): void;
  /** Show a notification; resolves with the chosen action title, if any. */
  showMessage(level: MessageLevel, message: string, ...actions: string[]): Promise<string | undefined>;
  setStatus(state: ServerState, detail: string): void;

  activeDocument(): ActiveDocument | undefined;
  fileExists(uri: string): Promise<boolean>;
  /** Open an existing document beside the active editor. */
  openFileBeside(uri: string): Promise<void>;
  /** Open `content` as a new untitled document beside the active editor. */
  openUntitledBeside(content: string, languageId: string): Promise<void>;
  /** Diff the existing file `leftUri` against `content` as an unsaved document (nothing is written). */
  openDiff(leftUri: string, content: string, languageId: string, title: string): Promise<void>;
  /**
   * Show `html` in the report panel (one panel, reused, beside the editor); the page's
   * `openLine` messages call `onOpenLine` with a 1-based line.
   */
  showReport(title: string, html: string, onOpenLine: (line: number) => void): void;
  /** Open a file's document at a (1-based) line. */
  openFileAt(uri: string, line: number): Promise<void>;
  /** Let the user pick one item; resolves with its label, or undefined if dismissed. */
  showQuickPick(items: string[], placeholder: string): Promise<string | undefined>;
  /** Run `task` under a cancellable progress notification. */
  withProgress<T>(title: string, task: (token: CancelToken) => Promise<T>): Promise<T>;
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable;
  executeCommand(id: string, ...args: unknown[]): Promise<unknown>;
  /** Run a shell command line in a new, visible terminal (used for "install mlsense" fixes). */
  runInTerminal(name: string, commandLine: string): void;
  /** Absolute path of a file shipped inside the extension. */
  extensionPath(...segments: string[]): string;
  pathExists(fsPath: string): boolean;
  /** Names of the entries of a folder (empty when it does not exist). */
  listDirectory(fsPath: string): string[];
}
