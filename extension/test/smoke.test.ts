/**
 * Smoke test: start the server exactly as the extension does (buildServerCommand) and complete an
 * LSP session with the same protocol library vscode-languageclient uses. Needs a Python with
 * mlsense: $MLSENSE_PYTHON or the repository's .venv.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, describe, it } from "node:test";
import {
  createProtocolConnection, DocumentDiagnosticRequest, type DocumentDiagnosticReport, ExitNotification, type InitializeResult, InitializeRequest,
  InitializedNotification, type ProtocolConnection, PublishDiagnosticsNotification, type PublishDiagnosticsParams, ShutdownRequest,
  StreamMessageReader, StreamMessageWriter, DidOpenTextDocumentNotification, type ClientCapabilities, DidChangeConfigurationNotification, ConfigurationRequest,
} from "vscode-languageserver-protocol/node";
import { configurationPayload, configurationResponse } from "../src/documentSelector";
import { checkEnvironment, execProcess } from "../src/interpreter";
import { COMMAND_IDS } from "../src/register";
import { buildServerCommand } from "../src/serverCommand";
import { buildInitializationOptions, DEFAULTS } from "../src/settings";
import { mlsensePython, repoRoot } from "./paths";

const python = mlsensePython();
const root = repoRoot();
const example = join(root, "examples", "keras_regression.py");
const exampleUri = pathToFileURL(example).toString();
const TIMEOUT_MS = 30_000;

interface Session { connection: ProtocolConnection; child: ChildProcess; stderr: string[]; init: InitializeResult }

const sessions: Session[] = [];

type Answer = (items: Array<{ section?: string }>) => unknown[] | undefined;

async function startSession(capabilities: ClientCapabilities, severity: Record<string, "error" | "warning" | "information" | "hint"> = {}, answer?: Answer): Promise<Session> {
  const command = buildServerCommand({ interpreter: [python as string], importStrategy: "fromEnvironment", extraArgs: [], baseEnv: { ...process.env }, cwd: root });
  const child = spawn(command.command, command.args, { env: command.env as NodeJS.ProcessEnv, cwd: command.cwd, stdio: ["pipe", "pipe", "pipe"] });
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const configured = new Promise<void>((resolve) => {
    connection.onRequest(ConfigurationRequest.type, (params) => { resolve(); return answer?.(params.items) ?? params.items.map(() => null); });
  });
  connection.listen();
  const init = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid, rootUri: pathToFileURL(root).toString(), capabilities, clientInfo: { name: "mlsense-smoke" },
    initializationOptions: buildInitializationOptions({ ...DEFAULTS, severity }, true), workspaceFolders: null,
  });
  await connection.sendNotification(InitializedNotification.type, {});
  if (answer) {
    await withTimeout(configured, TIMEOUT_MS, "workspace/configuration request from the server");
  }
  const session = { connection, child, stderr, init };
  sessions.push(session);
  return session;
}

async function endSession(session: Session): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => session.child.on("exit", (code) => resolve(code)));
  await session.connection.sendRequest(ShutdownRequest.type);
  await session.connection.sendNotification(ExitNotification.type);
  const code = await withTimeout(exited, 10_000, "server did not exit after shutdown/exit");
  session.connection.dispose();
  return code;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Resolve with the first publishDiagnostics for `uri` that satisfies `accept`. */
function nextDiagnostics(session: Session, uri: string, accept: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> {
  return withTimeout(new Promise((resolve) => {
    session.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      if (params.uri === uri && accept(params)) {
        resolve(params);
      }
    });
  }), TIMEOUT_MS, `publishDiagnostics for ${uri}; server stderr:\n${session.stderr.join("")}`);
}

function open(session: Session): Promise<void> {
  return session.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: exampleUri, languageId: "python", version: 1, text: readFileSync(example, "utf8") },
  });
}

after(() => {
  for (const s of sessions) {
    if (s.child.exitCode === null) {
      s.child.kill();
    }
  }
});

describe("language server smoke test", { skip: python ? false : "no .venv and no MLSENSE_PYTHON", timeout: 120_000 }, () => {
  it("the interpreter passes the extension's environment check", async () => {
    const check = await checkEnvironment([python as string], process.env, execProcess);
    assert.equal(check.ok, true, check.message);
  });

  it("push diagnostics: initialize, open the Keras example, get MLS301, apply settings live, shutdown", async () => {
    const session = await startSession({ textDocument: { publishDiagnostics: { relatedInformation: true } } });
    assert.equal(session.init.serverInfo?.name.toLowerCase().includes("mlsense"), true, JSON.stringify(session.init.serverInfo));
    const serverCommands = session.init.capabilities.executeCommandProvider?.commands ?? [];
    assert.ok(serverCommands.includes("mlsense.translateFramework"), JSON.stringify(serverCommands));
    // vscode-languageclient registers server commands as VS Code commands: ours must not collide.
    const clashes = COMMAND_IDS.filter((id) => serverCommands.includes(id));
    assert.deepEqual(clashes, []);
    const first = nextDiagnostics(session, exampleUri, (p) => p.diagnostics.length > 0);
    await open(session);
    const published = await first;
    const mls301 = published.diagnostics.find((d) => d.code === "MLS301");
    assert.ok(mls301, `no MLS301 in ${JSON.stringify(published.diagnostics)}`);
    assert.equal(mls301.source, "mlsense");
    assert.equal(mls301.range.start.line, 9, "input_shape= is on line 10 of the example");

    // A live settings change (what the extension sends without restarting) re-publishes.
    const changed = nextDiagnostics(session, exampleUri, (p) => p.diagnostics.some((d) => d.code === "MLS301" && d.severity === 1));
    await session.connection.sendNotification(DidChangeConfigurationNotification.type,
      configurationPayload(buildInitializationOptions({ ...DEFAULTS, severity: { MLS301: "error" } }, true)));
    await changed;
    assert.equal(await endSession(session), 0);
  });

  it("pull diagnostics and pulled configuration, as VS Code's client does", async () => {
    // The server asks for section "mlsense" once initialized; answer as the client middleware does.
    const pulled = buildInitializationOptions({ ...DEFAULTS, severity: { MLS301: "hint" } }, true);
    let asked: unknown;
    const session = await startSession({
      textDocument: { diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } },
      workspace: { configuration: true },
    }, { MLS301: "error" }, (items) => { asked = items; return configurationResponse(items, pulled); });
    assert.deepEqual(asked, [{ section: "mlsense" }]);
    assert.ok(session.init.capabilities.diagnosticProvider, "server advertises pull diagnostics");
    await open(session);
    const report = await withTimeout(session.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri: exampleUri } }), TIMEOUT_MS, "textDocument/diagnostic") as DocumentDiagnosticReport;
    assert.equal(report.kind, "full");
    const items = report.kind === "full" ? report.items : [];
    const mls301 = items.find((d) => d.code === "MLS301");
    assert.ok(mls301, JSON.stringify(items));
    assert.equal(mls301.severity, 4, "the pulled configuration (hint) applies over initializationOptions (error)");
    assert.equal(await endSession(session), 0);
  });
});
