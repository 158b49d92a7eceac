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
import { configurationPayload, configurationResponse, DOCUMENT_SELECTOR } from "./documentSelector";
import type { ClientFactory, ClientHandle } from "./manager";
import type { ServerCommand } from "./serverCommand";
import type { InitializationOptions } from "./settings";

/** A factory that starts real language clients logging to `channel`. */
export function languageClientFactory(api: VsCodeApi, channel: vscode.LogOutputChannel): ClientFactory {
  return async (command: ServerCommand, options: InitializationOptions): Promise<ClientHandle> => {
    let current = options;
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
    return {
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
  };
}
