import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildTranslateArgs, buildVerifyArgs, CancelledError, commandDocumentUri, type CommandClient, describeVerification,
  errorText, parseTranslateResult, raceCancellation, runTranslation, runVerification, TRANSLATE_COMMAND, UNTRUSTED_VERIFY_MESSAGE, VERIFY_COMMAND,
} from "../../src/commands";
import { FakeApi, FakeToken } from "../fakeApi";

/** A client that answers every command with `reply` and records what it was sent. */
function client(reply: unknown | ((token?: unknown) => Promise<unknown>)): CommandClient & { sent: Array<{ command: string; args: unknown[] }> } {
  const sent: Array<{ command: string; args: unknown[] }> = [];
  return {
    sent,
    async executeCommand(command, args, token) {
      sent.push({ command, args });
      return typeof reply === "function" ? (reply as (t?: unknown) => Promise<unknown>)(token) : reply;
    },
  };
}

describe("command arguments", () => {
  it("match the server's {uri, target, className?} and {..., device}", () => {
    assert.deepEqual(buildTranslateArgs("file:///a.py", "keras"), { uri: "file:///a.py", target: "keras" });
    assert.deepEqual(buildTranslateArgs("file:///a.py", "pytorch", "Net"), { uri: "file:///a.py", target: "pytorch", className: "Net" });
    assert.deepEqual(buildVerifyArgs("file:///a.py", "keras", "cuda", "Net"), { uri: "file:///a.py", target: "keras", className: "Net", device: "cuda" });
  });

  it("take the document from a context-menu URI, else the active editor", () => {
    const api = new FakeApi();
    const uriObject = { scheme: "file", path: "/x/b.py", toString: () => "file:///x/b.py" };
    assert.equal(commandDocumentUri(api, uriObject), "file:///x/b.py");
    assert.equal(commandDocumentUri(api, "file:///c.py"), "file:///c.py");
    assert.equal(commandDocumentUri(api, undefined), "file:///ws/model.py");
    api.document = undefined;
    assert.equal(commandDocumentUri(api, undefined), undefined);
  });
});

describe("runTranslation", () => {
  const code = "import keras\n";
  it("sends mlsense.translateFramework and opens a new document when there is no target file", async () => {
    const api = new FakeApi();
    const c = client({ targetUri: "file:///ws/model_keras.py", targetCode: code, unsupported: [], exists: false, applied: false });
    await runTranslation(api, c, buildTranslateArgs("file:///ws/model.py", "keras"));
    assert.deepEqual(c.sent, [{ command: TRANSLATE_COMMAND, args: [{ uri: "file:///ws/model.py", target: "keras" }] }]);
    assert.deepEqual(api.called("openUntitledBeside")[0].args, [code, "python"]);
    assert.equal(api.called("openDiff").length, 0);
  });

  it("shows a diff against an existing target file instead of overwriting it", async () => {
    const api = new FakeApi();
    api.files.add("file:///ws/model_keras.py");
    await runTranslation(api, client({ targetUri: "file:///ws/model_keras.py", targetCode: code, unsupported: [] }), buildTranslateArgs("file:///ws/model.py", "keras"));
    const diff = api.called("openDiff")[0];
    assert.equal(diff.args[0], "file:///ws/model_keras.py");
    assert.equal(diff.args[1], code);
    assert.match(String(diff.args[3]), /model_keras\.py ↔ Keras translation \(unsaved\)/);
    assert.equal(api.called("openUntitledBeside").length, 0);
  });

  it("opens the file the server created through workspace/applyEdit", async () => {
    const api = new FakeApi();
    await runTranslation(api, client({ targetUri: "file:///ws/model_torch.py", targetCode: code, unsupported: [], exists: false, applied: true }), buildTranslateArgs("file:///ws/model.py", "pytorch"));
    assert.deepEqual(api.called("openFileBeside")[0].args, ["file:///ws/model_torch.py"]);
  });

  it("reports a verification that came with the translation", async () => {
    const api = new FakeApi();
    await runTranslation(api, client({ targetCode: code, unsupported: [], verification: { verified: true, max_abs_error: 1.5e-6, devices: ["cpu"], message: "" } }),
      buildTranslateArgs("file:///ws/model.py", "keras"));
    assert.deepEqual(api.called("showMessage")[0].args.slice(0, 2), ["info", "Translation verified on cpu (max abs error 1.50e-6)"]);
  });

  it("lists the constructs that were not translated", async () => {
    const api = new FakeApi();
    api.answers = ["Show output"];
    const unsupported = [{ line: 12, column: 4, construct: "nn.LSTMCell", reason: "no Keras equivalent" }];
    await runTranslation(api, client({ targetCode: code, unsupported }), buildTranslateArgs("file:///ws/model.py", "keras"));
    const [level, message] = api.called("showMessage")[0].args;
    assert.equal(level, "warning");
    assert.match(String(message), /1 construct\(s\) need manual work: line 12: nn\.LSTMCell \(no Keras equivalent\)/);
    assert.equal(api.called("showOutput").length, 1);
  });

  it("reports server errors and malformed replies", async () => {
    const api = new FakeApi();
    const failing: CommandClient = { executeCommand: async () => { throw Object.assign(new Error("cannot translate model.py to keras: x"), { code: -32803 }); } };
    assert.equal(await runTranslation(api, failing, buildTranslateArgs("file:///ws/model.py", "keras")), undefined);
    assert.match(String(api.called("showMessage")[0].args[1]), /translation to Keras failed: cannot translate model\.py/);
    assert.throws(() => parseTranslateResult({ code: "x" }), /unexpected reply/);
    assert.match(errorText({ code: -32601, message: "Method Not Found" }), /does not offer this command yet; update mlsense/);
  });
});

describe("runVerification", () => {
  const args = buildVerifyArgs("file:///ws/model.py", "keras", "cpu");

  it("is disabled in an untrusted workspace: nothing is sent, the reason is shown", async () => {
    const api = new FakeApi();
    api.trusted = false;
    api.answers = ["Manage Workspace Trust"];
    const c = client({ verified: true, max_abs_error: 0, devices: ["cpu"], message: "" });
    assert.equal(await runVerification(api, c, args), undefined);
    assert.equal(c.sent.length, 0);
    assert.equal(api.called("withProgress").length, 0);
    assert.deepEqual(api.called("showMessage")[0].args.slice(0, 2), ["warning", UNTRUSTED_VERIFY_MESSAGE]);
    assert.deepEqual(api.called("executeCommand")[0].args, ["workbench.trust.manage"]);
  });

  it("sends mlsense.verifyTranslation under progress and summarizes the result", async () => {
    const api = new FakeApi();
    const c = client({ verified: true, max_abs_error: 3.2e-7, devices: ["cpu"], message: "" });
    const result = await runVerification(api, c, args);
    assert.equal(result?.verified, true);
    assert.deepEqual(c.sent, [{ command: VERIFY_COMMAND, args: [args] }]);
    assert.match(String(api.called("withProgress")[0].args[0]), /verifying the Keras translation on cpu/);
    assert.deepEqual(api.called("showMessage")[0].args.slice(0, 2), ["info", "Translation verified on cpu (max abs error 3.20e-7)"]);
    const [title, html] = api.called("showReport")[0].args as [string, string];
    assert.equal(title, "Verification: model.py → Keras");
    assert.match(html, /<h1 id="verdict" class="ok">Verified: model\.py → Keras<\/h1>/);
  });

  it("shows the training check in the report when it ran", async () => {
    const api = new FakeApi();
    const report = { verified: true, max_abs_error: 1e-7, devices: ["cpu"], message: "", per_device: [], per_layer: [],
      training: { ran: true, verified: false, torch_loss: [0.5, 0.4, 0.3], keras_loss: [0.5, 0.41, 0.33], max_weight_error: 0.02,
        steps: [{ step: 1, max_weight_error: 0.001, weights_close: true, worst: "" }, { step: 3, max_weight_error: 0.02, weights_close: false, worst: "fc.weight" }],
        atol: 1e-4, rtol: 1e-3, message: "weights differ after step 3" } };
    await runVerification(api, client(report), { uri: "file:///ws/m.py", target: "keras" });
    const html = String(api.called("showReport")[0].args[1]);
    assert.match(html, /<p id="training" class="bad">Trains differently: 3 steps from the same weights on the same batches, max weight difference 2\.00e-2 against atol 0\.0001, rtol 0\.001\.<\/p>/);
    assert.match(html, /<tr><td>step 3<\/td><td class="num">3\.00e-1<\/td><td class="num">3\.30e-1<\/td><td class="num">3\.00e-2<\/td><td class="num">2\.00e-2 \(fc\.weight\)<\/td><\/tr>/);
    assert.match(html, /<tr><td>step 2<\/td>.*<td class="num"><\/td><\/tr>/, "step 2's weights were not compared");
  });

  it("shows the report: per output and per layer, the first diverging layer marked and linked to its line", async () => {
    const api = new FakeApi();
    const report = {
      verified: false, max_abs_error: 0.31, atol: 1e-4, rtol: 1e-4, devices: ["cpu"], message: "NOT verified",
      per_device: [{ device: "cpu", backend: "tensorflow", verified: false, skipped: false, max_abs_error: 0.31, message: "max abs error 0.31",
        outputs: [{ shape: [2, 1], max_abs_error: 0.31, max_rel_error: 0.5, allclose: false }] }],
      per_layer: [
        { kind: "dense", torch_path: "fc1", keras_path: "attr:fc1", line: 9, max_abs_error: 1e-7, diverges: false },
        { kind: "dense", torch_path: "fc2<script>", keras_path: "attr:fc2", line: 10, max_abs_error: 0.31, diverges: true },
      ],
    };
    const result = await runVerification(api, client(report), { uri: "file:///ws/my%20model.py", target: "keras", className: "Net" });
    assert.equal(result?.verified, false);
    assert.match(String(api.called("withProgress")[0].args[0]), /of Net on the configured device/);
    const html = String(api.called("showReport")[0].args[1]);
    assert.match(html, /NOT verified: my model\.py → Keras/);
    assert.match(html, /First diverging layer: <a href="#" data-line="10">fc2&lt;script&gt; ↔ attr:fc2 \(dense, line 10\)<\/a>/);
    assert.match(html, /<tr class="diverges"><td><a href="#" data-line="10">line 10<\/a>/);
    assert.match(html, /3\.10e-1<\/td><td class="num">5\.00e-1<\/td><td class="bad">over tolerance/);
    assert.match(html, /against atol 0\.0001, rtol 0\.0001/);
    assert.doesNotMatch(html, /<h2>Training<\/h2>/, "no training section when the check did not run");
    api.reportLineHandler?.(10);
    assert.deepEqual(api.called("openFileAt")[0].args, ["file:///ws/my%20model.py", 10]);
  });

  it("does not send a command the server did not advertise", async () => {
    const api = new FakeApi();
    const c = { ...client({ verified: true, max_abs_error: 0, devices: ["cpu"], message: "" }), serverCommands: () => ["mlsense.translateFramework"] };
    assert.equal(await runVerification(api, c, args), undefined);
    assert.equal(c.sent.length, 0);
    assert.equal(api.called("withProgress").length, 0);
    assert.match(String(api.called("showMessage")[0].args[1]), /verification is not available.*update mlsense/);
    // Translation is advertised, so it goes through.
    await runTranslation(api, c, buildTranslateArgs("file:///ws/model.py", "keras"));
    assert.equal(c.sent[0].command, TRANSLATE_COMMAND);
  });

  it("reports a failed verification as an error with the server's message", async () => {
    const api = new FakeApi();
    await runVerification(api, client({ verified: false, max_abs_error: 0.5, devices: ["cpu", "cuda:0"], message: "layer fc2 differs" }), args);
    assert.deepEqual(api.called("showMessage")[0].args.slice(0, 2),
      ["error", "Translation NOT verified on cpu, cuda:0 (max abs error 5.00e-1): layer fc2 differs"]);
  });

  it("stops waiting as soon as the user cancels", async () => {
    const api = new FakeApi();
    let sawToken = false;
    api.onProgress = (token) => token.cancel();
    const never = client((token?: unknown) => { sawToken = token !== undefined; return new Promise(() => undefined); });
    assert.equal(await runVerification(api, never, args), undefined);
    assert.equal(sawToken, true, "the token is passed on so the client sends $/cancelRequest");
    assert.equal(api.called("showMessage").length, 0);
    assert.ok(api.called("logInfo").some((c) => /cancelled/.test(String(c.args[0]))));
  });
});

describe("helpers", () => {
  it("raceCancellation rejects immediately for an already-cancelled token", async () => {
    const token = new FakeToken();
    token.cancel();
    await assert.rejects(raceCancellation(Promise.resolve(1), token), CancelledError);
    assert.equal(await raceCancellation(Promise.resolve(2), new FakeToken()), 2);
  });

  it("describeVerification handles a missing error value", () => {
    assert.equal(describeVerification({ verified: false, max_abs_error: null, devices: [], message: "timed out after 300 s", report: {} }),
      "Translation NOT verified on no device (max abs error n/a): timed out after 300 s");
  });
});
