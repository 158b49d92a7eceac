/**
 * Which Python runs the server, and whether it can: interpreter resolution (setting, then the
 * Python extension's active environment, then `python3`) and an environment check that explains
 * how to fix what is missing.
 */
import { execFile } from "node:child_process";

export const MIN_PYTHON: readonly [number, number] = [3, 11];
export const DEFAULT_INTERPRETER = process.platform === "win32" ? "python" : "python3";

export type InterpreterSource = "setting" | "python-extension" | "default";

export interface ResolvedInterpreter {
  /** Executable followed by any leading arguments (`["/venv/bin/python"]`, `["py", "-3.11"]`). */
  command: string[];
  source: InterpreterSource;
}

/** Pick the interpreter: the `mlsense.interpreter` setting, the Python extension, then `python3`. */
export async function resolveInterpreter(
  setting: string[],
  fromPythonExtension: () => Promise<string[] | undefined>,
): Promise<ResolvedInterpreter> {
  if (setting.length > 0) {
    return { command: [...setting], source: "setting" };
  }
  let active: string[] | undefined;
  try {
    active = await fromPythonExtension();
  } catch {
    active = undefined; // a broken Python extension must not keep the server from starting
  }
  if (active && active.length > 0 && active[0]) {
    return { command: [...active], source: "python-extension" };
  }
  return { command: [DEFAULT_INTERPRETER], source: "default" };
}

/**
 * Printed as one JSON line by the interpreter under test. It imports nothing heavy: `find_spec`
 * locates mlsense without running it, then its version is read from the package metadata.
 */
export const CHECK_SCRIPT = [
  "import json, sys, importlib.util",
  "spec = importlib.util.find_spec('mlsense')",
  "version = None",
  "if spec is not None:",
  "    try:",
  "        from importlib.metadata import version as v; version = v('mlsense')",
  "    except Exception:",
  "        version = 'unknown'",
  "print(json.dumps({'python': list(sys.version_info[:3]), 'executable': sys.executable, 'mlsense': version}))",
].join("\n");

export type Problem = "not-found" | "failed" | "too-old" | "mlsense-missing";

export interface EnvironmentCheck {
  ok: boolean;
  python?: [number, number, number];
  executable?: string;
  mlsenseVersion?: string | null;
  problem?: Problem;
  /** What went wrong and how to fix it, for a notification. */
  message: string;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the executable could not be started at all (ENOENT, EACCES...). */
  spawnError?: string;
}

export type ExecFn = (command: string, args: string[], env: Record<string, string | undefined>) => Promise<ExecResult>;

/** Run a process and collect its output (the real {@link ExecFn}). */
export const execProcess: ExecFn = (command, args, env) =>
  new Promise((resolve) => {
    execFile(command, args, { env, timeout: 30_000, windowsHide: true }, (error, stdout, stderr) => {
      const errno = error as NodeJS.ErrnoException | null;
      if (errno && typeof errno.code === "string") {
        resolve({ code: null, stdout: String(stdout), stderr: String(stderr), spawnError: `${errno.code}: ${errno.message}` });
        return;
      }
      resolve({ code: error ? (typeof errno?.code === "number" ? errno.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });

/**
 * Check that `interpreter` is a Python >= 3.11 that can import mlsense (with `env`, which carries
 * PYTHONPATH for the bundled server). `wheel`: the mlsense wheel shipped with the extension, which
 * the explanation offers to install.
 */
export async function checkEnvironment(interpreter: string[], env: Record<string, string | undefined>, exec: ExecFn, wheel?: string): Promise<EnvironmentCheck> {
  const shown = interpreter.join(" ");
  const result = await exec(interpreter[0], [...interpreter.slice(1), "-c", CHECK_SCRIPT], env);
  if (result.spawnError) {
    return { ok: false, problem: "not-found", message: `Python interpreter "${shown}" could not be started (${result.spawnError}). Select a Python ${MIN_PYTHON.join(".")}+ interpreter or set mlsense.interpreter.` };
  }
  let info: { python: [number, number, number]; executable: string; mlsense: string | null } | undefined;
  try {
    const lastLine = result.stdout.trim().split(/\r?\n/).pop() ?? "";
    info = JSON.parse(lastLine);
  } catch {
    info = undefined;
  }
  if (result.code !== 0 || !info || !Array.isArray(info.python)) {
    const detail = (result.stderr || result.stdout).trim().split(/\r?\n/).slice(-3).join(" ");
    return { ok: false, problem: "failed", message: `Python interpreter "${shown}" failed to report its version (exit ${result.code}): ${detail}` };
  }
  const [major, minor] = info.python;
  const base = { python: info.python, executable: info.executable, mlsenseVersion: info.mlsense };
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    return { ...base, ok: false, problem: "too-old", message: `MLSense needs Python ${MIN_PYTHON.join(".")} or newer; "${shown}" is Python ${info.python.join(".")}. Select another interpreter.` };
  }
  if (!info.mlsense) {
    const how = wheel
      ? `Install it with "${pipInstallCommand(interpreter, wheel)}" (the wheel shipped with this extension), select an interpreter that has it, or install the platform-specific extension, which bundles the server.`
      : "Select an interpreter that has it, or install the platform-specific extension, which bundles the server.";
    return { ...base, ok: false, problem: "mlsense-missing", message: `The mlsense package is not installed for ${info.executable} (Python ${info.python.join(".")}). ${how}` };
  }
  return { ...base, ok: true, message: `Python ${info.python.join(".")} at ${info.executable}, mlsense ${info.mlsense}` };
}

/**
 * The shell command line that installs mlsense into `interpreter`'s environment from `wheel`, the
 * wheel shipped inside the extension (never a name looked up on a package index: the mlsense
 * found there may not be this project).
 */
export function pipInstallCommand(interpreter: string[], wheel: string): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, "\\$1")}"`);
  return [...interpreter, "-m", "pip", "install", wheel].map(quote).join(" ");
}
