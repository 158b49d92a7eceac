/** Creates the vscode-languageclient LanguageClient for a resolved server command. */
import type * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import type { CancelToken, VsCodeApi } from "./api";
import { REPORT_COMMAND, runTranslation, runVerification, showStoredReport, type TranslateArgs, TRANSLATE_COMMAND, VERIFY_COMMAND } from "./commands";
import { configurationPayload, configurationResponse, DOCUMENT_SELECTOR } from "./documentSelector";
import type { ClientFactory, ClientHandle } from "./manager";
import type { ServerCommand } from "./serverCommand";
import type { InitializationOptions } from "./settings";

/** A factory that starts real language clients logging to `channel`. */
export function languageClientFactory(api: VsCodeApi, channel: vscode.LogOutputChannel): ClientFactory {
  return async (command: ServerCommand, options: InitializationOptions): Promise<ClientHandle> => {
    let current = options;
    let handle: ClientHandle | undefined;
    const serverOptions: ServerOptions = {
      command: command.command,
      args: command.args,
      options: { cwd: command.cwd, env: command.env as NodeJS.ProcessEnv },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [...DOCUMENT_SELECTOR],
      initializationOptions: options,
      outputChannel: channel,
      traceOutputChannel: channel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      middleware: {
        // The server's commands, run by VS Code from a code lens or a code action ("Translate
        // Net to Keras", "Verify", a verification result): run them as the palette commands do,
        // so their result is shown (VS Code itself drops a command's return value).
        executeCommand: async (command, args, next) => {
          const arg = args[0] as TranslateArgs | undefined;
          if (!handle || !arg || typeof arg !== "object" || typeof arg.uri !== "string") {
            return next(command, args);
          }
          if (command === TRANSLATE_COMMAND) {
            return runTranslation(api, handle, arg);
          }
          if (command === VERIFY_COMMAND) {
            return runVerification(api, handle, arg);
          }
          if (command === REPORT_COMMAND) {
            return showStoredReport(api, handle, arg);
          }
          return next(command, args);
        },
        workspace: {
          // A server that pulls `workspace/configuration` for "mlsense" gets the same validated
          // options as initializationOptions, not VS Code's raw settings tree.
          configuration: (params, token, next) => configurationResponse(params.items, current) ?? next(params, token),
        },
      },
    };
    const client = new LanguageClient("mlsense", "MLSense", serverOptions, clientOptions);
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped) {
        api.setStatus("stopped", "server stopped");
      } else if (event.newState === State.Running) {
        api.setStatus("running", "server running");
      }
    });
    await client.start();
    handle = {
      async executeCommand(name: string, args: unknown[], token?: CancelToken): Promise<unknown> {
        return client.sendRequest(ExecuteCommandRequest.type, { command: name, arguments: args }, token as vscode.CancellationToken | undefined);
      },
      serverCommands: () => client.initializeResult?.capabilities.executeCommandProvider?.commands,
      async sendConfiguration(next: InitializationOptions): Promise<void> {
        current = next;
        await client.sendNotification(DidChangeConfigurationNotification.type, configurationPayload(next));
      },
      async stop(): Promise<void> {
        await client.stop(5000);
      },
    };
    return handle;
  };
}
