/**
 * `mlsense.*` settings: read and validated (bad values fall back to defaults, with a warning), and
 * turned into the server's `initializationOptions` / `workspace/didChangeConfiguration` payload.
 */
import * as os from "node:os";

export type Device = "cpu" | "cuda" | "all";
export type Notifications = "off" | "onError" | "onWarning" | "always";
export type ImportStrategy = "auto" | "fromEnvironment" | "useBundled";
export type Severity = "error" | "warning" | "information" | "hint";

export interface Settings {
  enable: boolean;
  select: string[] | null;
  ignore: string[];
  extendSelect: string[];
  severity: Record<string, Severity>;
  inlayHints: { layerShapes: boolean; parameterCounts: boolean };
  verification: { device: Device; timeout: number };
  showNotifications: Notifications;
  interpreter: string[];
  importStrategy: ImportStrategy;
  args: string[];
}

/** What the server receives: the analysis settings only (how it was started is not its business). */
export interface InitializationOptions {
  enable: boolean;
  select: string[] | null;
  ignore: string[];
  extendSelect: string[];
  severity: Record<string, Severity>;
  inlayHints: { layerShapes: boolean; parameterCounts: boolean };
  verification: { enabled: boolean; device: Device; timeoutS: number };
  showNotifications: Notifications;
  workspaceTrusted: boolean;
}

export const DEFAULTS: Settings = {
  enable: true,
  select: null,
  ignore: [],
  extendSelect: [],
  severity: {},
  inlayHints: { layerShapes: true, parameterCounts: true },
  verification: { device: "cpu", timeout: 300 },
  showNotifications: "onError",
  interpreter: [],
  importStrategy: "auto",
  args: [],
};

/** Settings that change how the server process is started: changing them needs a restart. */
export const RESTART_KEYS = ["interpreter", "importStrategy", "args"] as const;

const SEVERITIES: readonly string[] = ["error", "warning", "information", "hint"];

/** Reads one raw value, `mlsense.<key>`. */
export type SettingReader = (key: string) => unknown;

export interface ReadContext {
  workspaceFolder?: string;
  env: Record<string, string | undefined>;
  /** Called once per invalid value, with a message naming the setting. */
  warn: (message: string) => void;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === "string" && (allowed as readonly string[]).includes(value);
}

/** Expand `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~` like VS Code does. */
export function expandVariables(value: string, ctx: Pick<ReadContext, "workspaceFolder" | "env">): string {
  let out = value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (match, name: string, envName?: string) => {
    if (envName) {
      return ctx.env[envName] ?? "";
    }
    if (name === "userHome") {
      return os.homedir();
    }
    return ctx.workspaceFolder ?? match;
  });
  if (out === "~" || out.startsWith("~/")) {
    out = os.homedir() + out.slice(1);
  }
  return out;
}

/** Read every setting through `read`, keeping defaults for missing or malformed values. */
export function readSettings(read: SettingReader, ctx: ReadContext): Settings {
  const pick = <T>(key: string, valid: (v: unknown) => v is T, fallback: T): T => {
    const value = read(key);
    if (value === undefined) {
      return fallback;
    }
    if (!valid(value)) {
      ctx.warn(`Setting mlsense.${key} has an invalid value ${JSON.stringify(value)}; using ${JSON.stringify(fallback)}.`);
      return fallback;
    }
    return value;
  };
  const isBool = (v: unknown): v is boolean => typeof v === "boolean";
  const isTimeout = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;
  const isSelect = (v: unknown): v is string[] | null => v === null || isStringArray(v);
  const expand = (values: string[]): string[] => values.map((v) => expandVariables(v, ctx));
  return {
    enable: pick("enable", isBool, DEFAULTS.enable),
    select: pick("select", isSelect, DEFAULTS.select),
    ignore: pick("ignore", isStringArray, DEFAULTS.ignore),
    extendSelect: pick("extendSelect", isStringArray, DEFAULTS.extendSelect),
    severity: readSeverity(read("severity"), ctx.warn),
    inlayHints: {
      layerShapes: pick("inlayHints.layerShapes", isBool, DEFAULTS.inlayHints.layerShapes),
      parameterCounts: pick("inlayHints.parameterCounts", isBool, DEFAULTS.inlayHints.parameterCounts),
    },
    verification: {
      device: pick("verification.device", (v): v is Device => oneOf(v, ["cpu", "cuda", "all"] as const), DEFAULTS.verification.device),
      timeout: pick("verification.timeout", isTimeout, DEFAULTS.verification.timeout),
    },
    showNotifications: pick("showNotifications",
      (v): v is Notifications => oneOf(v, ["off", "onError", "onWarning", "always"] as const), DEFAULTS.showNotifications),
    interpreter: expand(pick("interpreter", isStringArray, DEFAULTS.interpreter)).filter((s) => s.length > 0),
    importStrategy: pick("importStrategy",
      (v): v is ImportStrategy => oneOf(v, ["auto", "fromEnvironment", "useBundled"] as const), DEFAULTS.importStrategy),
    args: expand(pick("args", isStringArray, DEFAULTS.args)),
  };
}

/** Keep the valid `code -> level` entries of the severity map; warn about the others. */
function readSeverity(value: unknown, warn: (message: string) => void): Record<string, Severity> {
  if (value === undefined) {
    return {};
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    warn(`Setting mlsense.severity must map rule codes to levels; got ${JSON.stringify(value)}.`);
    return {};
  }
  const out: Record<string, Severity> = {};
  for (const [code, level] of Object.entries(value)) {
    if (oneOf(level, SEVERITIES) && code.trim()) {
      out[code.trim().toUpperCase()] = level as Severity;
    } else {
      warn(`Setting mlsense.severity.${code}: expected one of ${SEVERITIES.join("|")}, got ${JSON.stringify(level)}.`);
    }
  }
  return out;
}

/** The options object sent as `initializationOptions` and in `workspace/didChangeConfiguration`. */
export function buildInitializationOptions(settings: Settings, trusted: boolean): InitializationOptions {
  return {
    enable: settings.enable,
    select: settings.select ? upper(settings.select) : null,
    ignore: upper(settings.ignore),
    extendSelect: upper(settings.extendSelect),
    severity: { ...settings.severity },
    inlayHints: { ...settings.inlayHints },
    // Verification executes the user's model code: never in an untrusted workspace.
    verification: { enabled: trusted, device: settings.verification.device, timeoutS: settings.verification.timeout },
    showNotifications: settings.showNotifications,
    workspaceTrusted: trusted,
  };
}

function upper(codes: string[]): string[] {
  return codes.map((c) => c.trim().toUpperCase()).filter((c) => c.length > 0);
}

/** Whether a settings change (given the `affects` predicate VS Code provides) needs a server restart. */
export function needsRestart(affects: (key: string) => boolean): boolean {
  return RESTART_KEYS.some((key) => affects(key));
}
