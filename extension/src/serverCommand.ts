/** The exact process the extension starts for the language server. */
import * as path from "node:path";
import type { ImportStrategy } from "./settings";

export interface ServerCommand {
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Where the server code comes from ("auto" resolved). */
  source: "bundled" | "environment";
}

export interface ServerCommandInput {
  interpreter: string[];
  importStrategy: ImportStrategy;
  extraArgs: string[];
  /** `bundled/libs` inside the extension when this build ships the server, else undefined. */
  bundledLibs?: string;
  baseEnv: Record<string, string | undefined>;
  cwd?: string;
}

/** The server cannot be started as configured; the message says why and what to do. */
export class ServerSetupError extends Error {}

/**
 * `<python> [leading args] -m mlsense serve [mlsense.args]`, with the bundled libraries first on
 * PYTHONPATH for `useBundled`, and for `auto` when this build ships them. PYTHONUNBUFFERED keeps
 * stderr log lines in order in the output channel.
 */
export function buildServerCommand(input: ServerCommandInput): ServerCommand {
  if (input.interpreter.length === 0 || !input.interpreter[0]) {
    throw new ServerSetupError("No Python interpreter to start the MLSense server with.");
  }
  const env: Record<string, string | undefined> = { ...input.baseEnv, PYTHONUNBUFFERED: "1" };
  const bundled = input.importStrategy === "useBundled" || (input.importStrategy === "auto" && input.bundledLibs !== undefined);
  if (bundled) {
    if (!input.bundledLibs) {
      throw new ServerSetupError(
        'mlsense.importStrategy is "useBundled" but this build of the extension ships no server ' +
        '(only the platform-specific .vsix does). Set mlsense.importStrategy to "fromEnvironment" ' +
        "and install mlsense into your interpreter, or install the platform-specific extension.");
    }
    const existing = input.baseEnv.PYTHONPATH;
    env.PYTHONPATH = existing ? `${input.bundledLibs}${path.delimiter}${existing}` : input.bundledLibs;
  }
  return {
    source: bundled ? "bundled" : "environment",
    command: input.interpreter[0],
    args: [...input.interpreter.slice(1), "-m", "mlsense", "serve", ...input.extraArgs],
    env,
    cwd: input.cwd,
  };
}
