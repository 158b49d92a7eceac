/** The palette / context-menu commands, registered through the wrapper. */
import type { VsCodeApi } from "./api";
import { buildTranslateArgs, buildVerifyArgs, commandDocumentUri, ensureVerificationAllowed, runTranslation, runVerification, type Target } from "./commands";
import type { ServerManager } from "./manager";

/**
 * Command ids contributed in package.json, all registered by {@link registerCommands}. None may
 * equal a server command (`mlsense.translateFramework`, `mlsense.verifyTranslation`):
 * vscode-languageclient registers those under their own ids, and VS Code rejects duplicates.
 */
export const COMMAND_IDS = ["mlsense.translateToKeras", "mlsense.translateToPyTorch", "mlsense.verify", "mlsense.restart", "mlsense.showOutput"] as const;

/** Register every command in {@link COMMAND_IDS}. */
export function registerCommands(api: VsCodeApi, mgr: ServerManager): void {
  const lastTarget = new Map<string, Target>();
  const needClient = async () => {
    const client = mgr.running;
    if (!client) {
      await api.showMessage("error", "The MLSense server is not running. See 'MLSense: Show output'.", "Show output")
        .then((choice) => choice && api.showOutput());
    }
    return client;
  };
  const translate = (target: Target) => async (arg?: unknown) => {
    const uri = commandDocumentUri(api, arg);
    const client = await needClient();
    if (!uri || !client) {
      return;
    }
    lastTarget.set(uri, target);
    await runTranslation(api, client, buildTranslateArgs(uri, target));
  };
  api.registerCommand("mlsense.translateToKeras", translate("keras"));
  api.registerCommand("mlsense.translateToPyTorch", translate("pytorch"));
  api.registerCommand("mlsense.verify", async (arg?: unknown) => {
    // Gate before anything else: in an untrusted workspace nothing is asked or sent.
    if (!(await ensureVerificationAllowed(api))) {
      return;
    }
    const uri = commandDocumentUri(api, arg);
    if (!uri) {
      return;
    }
    let target = lastTarget.get(uri);
    if (!target) {
      const picked = await api.showQuickPick(["keras", "pytorch"], "Verify the translation to which framework?");
      target = picked === "keras" || picked === "pytorch" ? picked : undefined;
    }
    const client = target ? await needClient() : undefined;
    if (target && client) {
      await runVerification(api, client, buildVerifyArgs(uri, target, mgr.settings().verification.device));
    }
  });
  api.registerCommand("mlsense.restart", () => mgr.scheduler.runNow());
  api.registerCommand("mlsense.showOutput", () => api.showOutput());
}

