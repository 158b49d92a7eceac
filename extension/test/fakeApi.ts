/**
 * An in-memory {@link VsCodeApi} for unit tests: settings from a plain object, every UI call
 * recorded, notification answers scripted. It replaces only the editor, never extension code.
 */
import type { ActiveDocument, CancelToken, Disposable, MessageLevel, ServerState, VsCodeApi } from "../src/api";

export interface Call {
  name: string;
  args: unknown[];
}

export class FakeToken implements CancelToken {
  isCancellationRequested = false;
  private listeners: Array<() => void> = [];
  onCancellationRequested(listener: () => void): Disposable {
    this.listeners.push(listener);
    return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
  }
  cancel(): void {
    this.isCancellationRequested = true;
    this.listeners.forEach((l) => l());
  }
}

export class FakeApi implements VsCodeApi {
  settings: Record<string, unknown> = {};
  trusted = true;
  python: string[] | undefined = undefined;
  files = new Set<string>();
  paths = new Set<string>();
  document: ActiveDocument | undefined = { uri: "file:///ws/model.py", languageId: "python", fsPath: "/ws/model.py" };
  /** Answer given to the next showMessage / showQuickPick calls, in order. */
  answers: Array<string | undefined> = [];
  /** Called with the token when withProgress runs, so a test can cancel mid-flight. */
  onProgress: ((token: FakeToken) => void) | undefined;
  calls: Call[] = [];
  commands = new Map<string, (...args: unknown[]) => unknown>();
  status: { state: ServerState; detail: string } | undefined;
  private settingListeners: Array<(affects: (key: string) => boolean) => void> = [];

  private record(name: string, ...args: unknown[]): void {
    this.calls.push({ name, args });
  }
  called(name: string): Call[] {
    return this.calls.filter((c) => c.name === name);
  }
  /** Simulate a settings edit: store the values and notify listeners of the changed keys. */
  change(values: Record<string, unknown>): void {
    Object.assign(this.settings, values);
    const keys = Object.keys(values);
    this.settingListeners.forEach((l) => l((key) => keys.some((k) => k === key || k.startsWith(`${key}.`))));
  }

  getSetting<T>(key: string): T | undefined {
    return this.settings[key] as T | undefined;
  }
  onDidChangeSettings(listener: (affects: (key: string) => boolean) => void): Disposable {
    this.settingListeners.push(listener);
    return { dispose: () => undefined };
  }
  workspaceFolder(): string | undefined {
    return "/ws";
  }
  isTrusted(): boolean {
    return this.trusted;
  }
  onDidGrantTrust(): Disposable {
    return { dispose: () => undefined };
  }
  async activePythonInterpreter(): Promise<string[] | undefined> {
    return this.python;
  }
  onDidChangePythonInterpreter(): Disposable {
    return { dispose: () => undefined };
  }
  logInfo(message: string): void { this.record("logInfo", message); }
  logWarning(message: string): void { this.record("logWarning", message); }
  logError(message: string): void { this.record("logError", message); }
  showOutput(): void { this.record("showOutput"); }
  async showMessage(level: MessageLevel, message: string, ...actions: string[]): Promise<string | undefined> {
    this.record("showMessage", level, message, actions);
    return this.answers.shift();
  }
  setStatus(state: ServerState, detail: string): void {
    this.status = { state, detail };
    this.record("setStatus", state, detail);
  }
  activeDocument(): ActiveDocument | undefined {
    return this.document;
  }
  async fileExists(uri: string): Promise<boolean> {
    return this.files.has(uri);
  }
  async openFileBeside(uri: string): Promise<void> { this.record("openFileBeside", uri); }
  async openUntitledBeside(content: string, languageId: string): Promise<void> { this.record("openUntitledBeside", content, languageId); }
  async openDiff(leftUri: string, content: string, languageId: string, title: string): Promise<void> {
    this.record("openDiff", leftUri, content, languageId, title);
  }
  async showQuickPick(items: string[], placeholder: string): Promise<string | undefined> {
    this.record("showQuickPick", items, placeholder);
    return this.answers.shift();
  }
  async withProgress<T>(title: string, task: (token: CancelToken) => Promise<T>): Promise<T> {
    this.record("withProgress", title);
    const token = new FakeToken();
    const running = task(token);
    this.onProgress?.(token);
    return running;
  }
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
    this.commands.set(id, handler);
    return { dispose: () => this.commands.delete(id) };
  }
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    this.record("executeCommand", id, ...args);
    return undefined;
  }
  showReport(title: string, html: string, onOpenLine: (line: number) => void): void {
    this.record("showReport", title, html);
    this.reportLineHandler = onOpenLine;
  }
  reportLineHandler: ((line: number) => void) | undefined;
  async openFileAt(uri: string, line: number): Promise<void> { this.record("openFileAt", uri, line); }
  runInTerminal(name: string, commandLine: string): void { this.record("runInTerminal", name, commandLine); }
  extensionPath(...segments: string[]): string {
    return ["/ext", ...segments].join("/");
  }
  pathExists(fsPath: string): boolean {
    return this.paths.has(fsPath);
  }
  listDirectory(fsPath: string): string[] {
    const prefix = `${fsPath}/`;
    return [...this.paths].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/")).map((p) => p.slice(prefix.length));
  }
}

/** Manual timers: `flush()` runs what is due, so debounce tests need no real waiting. */
export class FakeTimers {
  now = 0;
  private next = 1;
  private pending = new Map<number, { at: number; callback: () => void }>();
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get size(): number {
    return this.pending.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now) {
        this.pending.delete(id);
        t.callback();
      }
    }
  }
}

/** Let pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}
