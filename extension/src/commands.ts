/**
 * "Translate to Keras/PyTorch" and "Verify translation": argument building for the server's
 * `workspace/executeCommand` commands and presentation of their results. Nothing is ever written
 * to disk here: translations open as unsaved documents (or a diff against an existing target).
 */
import type { CancelToken, VsCodeApi } from "./api";
import { renderReport, reportData } from "./report";
import type { Device } from "./settings";

export type Target = "keras" | "pytorch";

export const TRANSLATE_COMMAND = "mlsense.translateFramework";
export const VERIFY_COMMAND = "mlsense.verifyTranslation";
export const REPORT_COMMAND = "mlsense.verificationReport";

export interface TranslateArgs {
  uri: string;
  target: Target;
  className?: string;
}

export interface VerifyArgs extends TranslateArgs {
  /** Absent: the server's mlsense.verification.device. */
  device?: Device;
}

export interface UnsupportedItem {
  line?: number;
  column?: number;
  construct?: string;
  reason?: string;
}

export interface TranslateResult {
  targetUri?: string;
  targetCode: string;
  unsupported: UnsupportedItem[];
  /** The target file existed before (the server then writes nothing). */
  exists?: boolean;
  /** The server created the target file through `workspace/applyEdit` (CreateFile, no overwrite). */
  applied?: boolean;
  /** Present when the server verified the translation as part of translating it. */
  verification?: VerifyResult;
}

export interface VerifyResult {
  verified: boolean;
  max_abs_error: number | null;
  devices: string[];
  message: string;
  /** The whole report as the server sent it (per device, output and layer). */
  report: unknown;
}

/** The language client, reduced to what the commands need. */
export interface CommandClient {
  executeCommand(command: string, args: unknown[], token?: CancelToken): Promise<unknown>;
  /** The commands the server advertised (`executeCommandProvider.commands`), when known. */
  serverCommands?(): readonly string[] | undefined;
}

/** Whether the server advertised `command` (true when the client cannot tell). */
export function serverSupports(client: CommandClient, command: string): boolean {
  const commands = client.serverCommands?.();
  return commands === undefined || commands.includes(command);
}

export const UPDATE_SERVER_MESSAGE = "The running mlsense server does not offer this command yet; update mlsense (pip install -U mlsense) and restart the server.";

/** The operation was cancelled by the user. */
export class CancelledError extends Error {}

/** Arguments for `mlsense.translateFramework`. */
export function buildTranslateArgs(uri: string, target: Target, className?: string): TranslateArgs {
  return className ? { uri, target, className } : { uri, target };
}

/** Arguments for `mlsense.verifyTranslation`. */
export function buildVerifyArgs(uri: string, target: Target, device: Device, className?: string): VerifyArgs {
  return { ...buildTranslateArgs(uri, target, className), device };
}

/**
 * The document a command acts on: a URI passed by the editor context menu / explorer (a
 * `vscode.Uri` or a string), else the active editor's document.
 */
export function commandDocumentUri(api: VsCodeApi, arg: unknown): string | undefined {
  if (typeof arg === "string" && arg.includes(":")) {
    return arg;
  }
  if (typeof arg === "object" && arg !== null && "scheme" in arg && "path" in arg) {
    return String(arg);
  }
  return api.activeDocument()?.uri;
}

/** Check the server's answer has the documented shape. */
export function parseTranslateResult(value: unknown): TranslateResult {
  const v = value as Partial<TranslateResult> | null;
  if (!v || typeof v !== "object" || typeof v.targetCode !== "string") {
    throw new Error(`unexpected reply from ${TRANSLATE_COMMAND}: ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  return {
    targetUri: typeof v.targetUri === "string" ? v.targetUri : undefined,
    targetCode: v.targetCode,
    unsupported: Array.isArray(v.unsupported) ? v.unsupported : [],
    exists: typeof v.exists === "boolean" ? v.exists : undefined,
    applied: v.applied === true,
    verification: v.verification === undefined || v.verification === null ? undefined : parseVerifyResult(v.verification),
  };
}

/** Check the server's answer has the documented shape. */
export function parseVerifyResult(value: unknown): VerifyResult {
  const v = value as Partial<VerifyResult> | null;
  if (!v || typeof v !== "object" || typeof v.verified !== "boolean") {
    throw new Error(`unexpected reply from ${VERIFY_COMMAND}: ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  return {
    verified: v.verified,
    max_abs_error: typeof v.max_abs_error === "number" ? v.max_abs_error : null,
    devices: Array.isArray(v.devices) ? v.devices.map(String) : [],
    message: typeof v.message === "string" ? v.message : "",
    report: value,
  };
}

/** One line per construct the translator left out. */
export function describeUnsupported(items: UnsupportedItem[]): string[] {
  return items.map((u) => `line ${u.line ?? "?"}: ${u.construct ?? "?"}${u.reason ? ` (${u.reason})` : ""}`);
}

const FRAMEWORK_NAMES: Record<Target, string> = { keras: "Keras", pytorch: "PyTorch" };

/**
 * Show a translation beside its source: the new file when the server just created it (through
 * an edit the editor applied, never overwriting), a diff when the target file already existed,
 * else a new untitled document.
 */
export async function showTranslation(api: VsCodeApi, result: TranslateResult, target: Target): Promise<void> {
  if (result.targetUri && result.applied) {
    await api.openFileBeside(result.targetUri);
  } else if (result.targetUri && (result.exists ?? (await api.fileExists(result.targetUri)))) {
    const name = result.targetUri.split("/").pop() ?? result.targetUri;
    await api.openDiff(result.targetUri, result.targetCode, "python", `${name} ↔ ${FRAMEWORK_NAMES[target]} translation (unsaved)`);
  } else {
    await api.openUntitledBeside(result.targetCode, "python");
  }
  if (result.verification) {
    const summary = describeVerification(result.verification);
    api.logInfo(summary);
    await api.showMessage(result.verification.verified ? "info" : "error", summary);
  }
  if (result.unsupported.length > 0) {
    const lines = describeUnsupported(result.unsupported);
    lines.forEach((line) => api.logWarning(`not translated: ${line}`));
    const choice = await api.showMessage("warning",
      `MLSense translated to ${FRAMEWORK_NAMES[target]}, but ${lines.length} construct(s) need manual work: ${lines.slice(0, 3).join("; ")}${lines.length > 3 ? "; ..." : ""}`,
      "Show output");
    if (choice === "Show output") {
      api.showOutput();
    }
  }
}

/** Summary line of a verification result. */
export function describeVerification(result: VerifyResult): string {
  const where = result.devices.length > 0 ? result.devices.join(", ") : "no device";
  const err = result.max_abs_error === null ? "n/a" : result.max_abs_error.toExponential(2);
  const head = result.verified ? `Translation verified on ${where}` : `Translation NOT verified on ${where}`;
  return `${head} (max abs error ${err})${result.message ? `: ${result.message}` : ""}`;
}

/** Resolve with `promise`, or reject with CancelledError as soon as `token` is cancelled. */
export function raceCancellation<T>(promise: Promise<T>, token: CancelToken): Promise<T> {
  if (token.isCancellationRequested) {
    return Promise.reject(new CancelledError("cancelled"));
  }
  return new Promise<T>((resolve, reject) => {
    const sub = token.onCancellationRequested(() => reject(new CancelledError("cancelled")));
    promise.then((v) => { sub.dispose(); resolve(v); }, (e: unknown) => { sub.dispose(); reject(e); });
  });
}

export const UNTRUSTED_VERIFY_MESSAGE =
  "MLSense: Verify translation runs your model code, so it is disabled in an untrusted workspace. " +
  "Diagnostics, hints and translation still work. Trust this workspace to enable verification.";

/**
 * Verification executes the user's model code: allowed only in a trusted workspace. Otherwise
 * explain why and offer the trust editor. Returns whether verification may run.
 */
export async function ensureVerificationAllowed(api: VsCodeApi): Promise<boolean> {
  if (api.isTrusted()) {
    return true;
  }
  api.logWarning(UNTRUSTED_VERIFY_MESSAGE);
  if ((await api.showMessage("warning", UNTRUSTED_VERIFY_MESSAGE, "Manage Workspace Trust")) === "Manage Workspace Trust") {
    await api.executeCommand("workbench.trust.manage");
  }
  return false;
}

/**
 * Run `mlsense.verifyTranslation` under a cancellable progress notification and report the outcome.
 * Returns the result, or undefined when gated, cancelled or failed (the user was told why).
 */
export async function runVerification(api: VsCodeApi, client: CommandClient, args: VerifyArgs): Promise<VerifyResult | undefined> {
  if (!(await ensureVerificationAllowed(api))) {
    return undefined;
  }
  if (!serverSupports(client, VERIFY_COMMAND)) {
    api.logWarning(`${VERIFY_COMMAND}: ${UPDATE_SERVER_MESSAGE}`);
    await api.showMessage("warning", `MLSense: verification is not available. ${UPDATE_SERVER_MESSAGE}`);
    return undefined;
  }
  const title = `MLSense: verifying the ${FRAMEWORK_NAMES[args.target]} translation${args.className ? ` of ${args.className}` : ""} on ${args.device ?? "the configured device"}`;
  try {
    const raw = await api.withProgress(title, (token) => raceCancellation(client.executeCommand(VERIFY_COMMAND, [args], token), token));
    const result = parseVerifyResult(raw);
    const summary = describeVerification(result);
    api.logInfo(summary);
    showVerificationReport(api, args, result.report);
    void api.showMessage(result.verified ? "info" : "error", summary);
    return result;
  } catch (error) {
    if (error instanceof CancelledError) {
      api.logInfo("Verification cancelled.");
      return undefined;
    }
    const text = `MLSense: verification failed: ${errorText(error)}`;
    api.logError(text);
    await api.showMessage("error", text);
    return undefined;
  }
}

/** Show a verification report (the server's object) in the report panel; its line links open the source. */
export function showVerificationReport(api: VsCodeApi, args: TranslateArgs, raw: unknown): void {
  const name = decodeURIComponent(args.uri.split("/").pop() ?? args.uri);
  const nonce = Array.from({ length: 16 }, () => Math.floor(Math.random() * 36).toString(36)).join("");
  const html = renderReport(reportData(raw), name, FRAMEWORK_NAMES[args.target], nonce);
  api.showReport(`Verification: ${name} → ${FRAMEWORK_NAMES[args.target]}`, html, (line) => void api.openFileAt(args.uri, line));
}

/** `mlsense.verificationReport`: fetch the stored report of a verified model and show it. */
export async function showStoredReport(api: VsCodeApi, client: CommandClient, args: TranslateArgs): Promise<void> {
  try {
    showVerificationReport(api, args, await client.executeCommand(REPORT_COMMAND, [args]));
  } catch (error) {
    const text = `MLSense: no verification report: ${errorText(error)}`;
    api.logWarning(text);
    await api.showMessage("warning", text);
  }
}

/** Run `mlsense.translateFramework` and show the result (never overwriting a file). */
export async function runTranslation(api: VsCodeApi, client: CommandClient, args: TranslateArgs): Promise<TranslateResult | undefined> {
  if (!serverSupports(client, TRANSLATE_COMMAND)) {
    api.logWarning(`${TRANSLATE_COMMAND}: ${UPDATE_SERVER_MESSAGE}`);
    await api.showMessage("warning", `MLSense: translation is not available. ${UPDATE_SERVER_MESSAGE}`);
    return undefined;
  }
  try {
    const result = parseTranslateResult(await client.executeCommand(TRANSLATE_COMMAND, [args]));
    await showTranslation(api, result, args.target);
    return result;
  } catch (error) {
    const text = `MLSense: translation to ${FRAMEWORK_NAMES[args.target]} failed: ${errorText(error)}`;
    api.logError(text);
    await api.showMessage("error", text);
    return undefined;
  }
}

/** A readable message for an error, including LSP ResponseError codes (MethodNotFound...). */
export function errorText(error: unknown): string {
  const e = error as { code?: number; message?: string };
  if (e && e.code === -32601) {
    return UPDATE_SERVER_MESSAGE;
  }
  return e?.message ?? String(error);
}
