// The extension in the real VS Code workbench (code-server 4.139 = VS Code 1.139), driven as a
// user drives it: squiggles and their hover, a quick fix, inlay hints, layer hovers, code lenses,
// "Translate to Keras" from the palette and the editor's context menu, "Verify" with progress and
// its report, notebook cells, "Restart server" after the server is killed, an untrusted
// workspace, and a new user's set-up: one .vsix and a Python without mlsense.
//
// Run by tests/e2e/workbench/run.sh (the README's test command calls it). Screenshots of every
// step: build/workbench/<scenario>/NN-step.png.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { bareVenv, makeWorkspace, ROOT, startWorkbench } from "./workbench.mjs";

const EXAMPLES = join(ROOT, "examples");
const VENV_PYTHON = process.env.MLSENSE_PYTHON ?? join(ROOT, ".venv", "bin", "python");
const SEQUENTIAL = `import torch
from torch import nn

net = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 16 * 16, 10),
)
out = net(torch.zeros(8, 3, 32, 32))
`;
const TYPING = SEQUENTIAL.replace("nn.Linear(16 * 16 * 16, 10)", "nn.Linear()");
const NOTEBOOK = JSON.stringify({
  cells: [
    { cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: ["import numpy as np\n", "from tensorflow import keras\n", "from tensorflow.keras.layers import Dense\n"] },
    { cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: ["model = keras.Sequential([Dense(64, activation='relu', input_shape=(10,)), Dense(1)])\n"] },
    { cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: ["model.compile(optimizer='adam', loss='mse')\n"] },
  ],
  metadata: { kernelspec: { display_name: "Python 3", language: "python", name: "python3" }, language_info: { name: "python" } },
  nbformat: 4,
  nbformat_minor: 5,
}, null, 1);
const SQUIGGLE = ".squiggly-error, .squiggly-warning, .squiggly-info";

function seedWorkspace(name) {
  return makeWorkspace(name, {
    "torch_regression.py": join(EXAMPLES, "torch_regression.py"),
    "keras_regression.py": join(EXAMPLES, "keras_regression.py"),
    "conv_net.py": SEQUENTIAL,
    "typing_net.py": TYPING,
    "analysis.ipynb": NOTEBOOK,
  });
}

/** Text of the visible editors' lines, inlay hints included (they are part of the line's DOM). */
async function viewText(wb) {
  return (await wb.page.locator(".editor-group-container.active .view-lines").first().innerText()).replace(/\u00a0/g, " ");
}

describe("the extension in the VS Code workbench", { concurrency: 1 }, () => {
  let wb;
  let ws;
  before(async () => {
    ws = seedWorkspace("main");
    // The platform .vsix's bundled server, run by the project's Python (it has torch and Keras,
    // which verification needs; the server code itself comes from the .vsix).
    wb = await startWorkbench("main", ws, { settings: { "mlsense.interpreter": [VENV_PYTHON], "mlsense.verification.timeout": 240 } });
  });
  after(async () => {
    await wb?.close();
  });
  beforeEach(async () => {
    await wb.closeAllEditors();
  });

  it("shows a diagnostic as a squiggle, its hover and the Problems entry", async () => {
    await wb.openFile("keras_regression.py");
    await wb.until("a squiggle in keras_regression.py", async () => (await wb.editor().locator(SQUIGGLE).count()) > 0, 60_000);
    await wb.shot("squiggle");
    const hover = await wb.hoverText(readFileSync(join(ws, "keras_regression.py"), "utf8"), "input_shape", { contains: "MLS301" });
    assert.match(hover, /Keras 3 prefers `?keras\.Input\(shape=\(10,\)\)`?/);
    await wb.shot("diagnostic-hover");
    const rows = await wb.problems();
    assert.ok(rows.some((r) => r.includes("MLS301") && r.includes("[Ln 10")), rows.join("\n"));
    await wb.shot("problems");
  });

  it("shows layer shapes and parameter counts as inlay hints on a Sequential", async () => {
    await wb.openFile("keras_regression.py");
    await wb.until("inlay hints on the Keras Sequential", async () => /\(N, 64\)[\s\S]*704 params/.test(await viewText(wb)), 30_000);
    await wb.openFile("conv_net.py");
    await wb.until("inlay hints on the torch Sequential", async () => {
      const text = await viewText(wb);
      return text.includes("(N, 16, 32, 32)") && text.includes("(N, 4096)") && text.includes("(N, 10)");
    }, 30_000);
    await wb.shot("inlay-hints");
  });

  it("shows a layer's Keras equivalent on hover", async () => {
    await wb.openFile("conv_net.py");
    const hover = await wb.hoverText(SEQUENTIAL, "Conv2d", { contains: "Keras" });
    assert.match(hover, /Conv2D\(16, 3/);
    assert.match(hover, /\(N, 3, 32, 32\) → \(N, 16, 32, 32\)/);
    await wb.shot("layer-hover");
  });

  it("completes a Linear's in_features with the size that flows in", async () => {
    await wb.openFile("typing_net.py");
    await wb.until("the model's hints (analysed)", async () => (await viewText(wb)).includes("(N, 4096)"), 30_000);
    await wb.goTo(9, "    nn.Linear(".length + 1);
    await wb.page.keyboard.press("Control+Space");
    const item = wb.page.locator(".suggest-widget .monaco-list-row", { hasText: "4096" }).first();
    await item.waitFor({ timeout: 20_000 });
    await wb.shot("completion");
    await wb.page.keyboard.press("Enter");
    await wb.until("the size inserted", async () => (await viewText(wb)).includes("nn.Linear(4096)"));
  });

  it("applies a quick fix and the saved file has the fixed text", async () => {
    await wb.openFile("keras_regression.py");
    await wb.goTo(10, 60);
    await wb.page.keyboard.press("Control+.");
    const fix = wb.page.locator(".action-widget .monaco-list-row", { hasText: "keras.Input" }).first();
    await fix.waitFor();
    await wb.shot("quick-fix-menu");
    await fix.click();
    await wb.until("the fix in the editor", async () => (await viewText(wb)).includes("keras.Input(shape=(10,))"));
    await wb.page.keyboard.press("Control+S");
    await wb.until("the fixed file on disk", async () => readFileSync(join(ws, "keras_regression.py"), "utf8").includes("keras.Sequential([keras.Input(shape=(10,)), Dense(64, activation='relu'), Dense(1)])"));
    await wb.until("the squiggle gone", async () => (await wb.editor().locator(SQUIGGLE).count()) === 0, 20_000);
    await wb.shot("quick-fix-applied");
  });

  it("offers Translate and Verify code lenses above a model", async () => {
    await wb.openFile("torch_regression.py");
    const lens = wb.editor().locator(".codelens-decoration");
    await wb.until("the model's code lens", async () => /Translate to Keras[\s\S]*Verify/.test((await lens.allInnerTexts()).join(" ")), 30_000);
    await wb.shot("code-lens");
  });

  it("translates to Keras from the command palette: the new file opens", async () => {
    await wb.openFile("torch_regression.py");
    await wb.runCommand("MLSense: Translate to Keras");
    await wb.page.locator(".tab.active", { hasText: "torch_regression_keras.py" }).first().waitFor({ timeout: 60_000 });
    await wb.until("the translation in its editor", async () => (await viewText(wb)).includes("class Net(keras.Model):"));
    await wb.shot("translated-file");
    // The file was created through a workspace edit: it is the user's to save.
    await wb.page.keyboard.press("Control+S");
    await wb.until("the translation on disk", async () => {
      try {
        return readFileSync(join(ws, "torch_regression_keras.py"), "utf8").includes("class Net(keras.Model):");
      } catch {
        return false;
      }
    }, 30_000);
  });

  it("translates from the editor's context menu: a diff against the existing file", async () => {
    await wb.openFile("torch_regression.py");
    await wb.editor().locator(".view-lines").click({ button: "right", position: { x: 200, y: 40 } });
    const item = wb.page.locator(".monaco-menu .action-item", { hasText: "Translate to Keras" }).first();
    await item.waitFor();
    await wb.shot("context-menu");
    await item.click();
    await wb.page.locator(".tab", { hasText: "Keras translation" }).first().waitFor({ timeout: 60_000 });
    await wb.shot("translation-diff");
  });

  it("verifies from the code lens: progress, the report, and the result on the lens", async () => {
    await wb.openFile("torch_regression.py");
    const verify = wb.editor().locator(".codelens-decoration a", { hasText: /^Verify$/ }).first();
    await verify.waitFor({ timeout: 30_000 });
    await verify.click();
    await wb.page.locator(".notification-toast, .notifications-center", { hasText: "verifying" }).first().waitFor({ timeout: 60_000 });
    await wb.shot("verify-progress");
    // The report opens in a webview (an iframe in an iframe).
    let verdict;
    await wb.until("the verification report", async () => {
      for (const frame of wb.page.frames()) {
        const h1 = await frame.locator("#verdict").first().textContent({ timeout: 200 }).catch(() => null);
        if (h1) {
          verdict = { text: h1, frame };
          return true;
        }
      }
      return false;
    }, 240_000);
    assert.match(verdict.text, /^Verified: torch_regression\.py → Keras/);
    const layers = await verdict.frame.locator("#layers tbody tr").allInnerTexts();
    assert.equal(layers.length, 1);
    assert.match(layers[0], /line 11\s+fc\s+attr:fc\s+dense\s+\d\.\d\de[+-]\d+\s+agrees/);
    assert.match(await verdict.frame.locator("#summary").innerText(), /against atol 0\.0001, rtol 0\.0001 on cpu/);
    // The script trains: the report says whether the translation trains the same.
    assert.match(await verdict.frame.locator("#training").innerText(), /^Trains the same: 3 steps from the same weights on the same batches/);
    await wb.shot("verify-report");
    const lens = wb.editor().locator(".codelens-decoration");
    await wb.until("the verification result on the lens", async () => /verified on cpu · max error \d\.\de[+-]\d+/.test((await lens.allInnerTexts()).join(" ")), 30_000);
    await wb.shot("verify-lens");
  });

  it("gives a notebook's cells diagnostics", async () => {
    await wb.openFile("analysis.ipynb");
    const cells = wb.page.locator(".notebook-editor .code-cell-row .cell-editor-container");
    await wb.until("the notebook's cells", async () => (await cells.count()) >= 3, 60_000);
    await wb.until("a squiggle in the notebook's second cell", async () => (await cells.nth(1).locator(SQUIGGLE).count()) > 0, 60_000);
    assert.equal(await cells.nth(0).locator(SQUIGGLE).count(), 0);
    await wb.shot("notebook-diagnostics");
    const rows = await wb.problems();
    assert.ok(rows.some((r) => r.includes("MLS301")), rows.join("\n"));
  });

  it("recovers with 'Restart server' after the server process is killed", async () => {
    const pids = () => execFileSync("pgrep", ["-f", "-g", String(wb.server.pid), "mlsense serve"]).toString().trim().split(/\s+/).filter(Boolean);
    const before = pids();
    assert.ok(before.length >= 1, "the language server runs in code-server's process group");
    for (const pid of before) {
      process.kill(Number(pid), "SIGKILL");
    }
    await wb.runCommand("MLSense: Restart server");
    await wb.until("a new server process", async () => {
      try {
        return pids().some((p) => !before.includes(p));
      } catch {
        return false;
      }
    }, 60_000);
    // A new problem typed now is found by the restarted server.
    await wb.openFile("torch_regression.py");
    await wb.editor().locator(".view-lines").click();
    await wb.page.keyboard.press("Control+End");
    await wb.page.keyboard.type("\nold = torch.autograd.Variable(x)\n");
    await wb.until("a diagnostic from the restarted server", async () => (await wb.editor().locator(SQUIGGLE).count()) > 0, 60_000);
    await wb.shot("restarted");
  });
});

describe("an untrusted workspace", { concurrency: 1 }, () => {
  let wb;
  before(async () => {
    wb = await startWorkbench("untrusted", seedWorkspace("untrusted"), { trust: false, settings: { "mlsense.interpreter": [VENV_PYTHON] } });
  });
  after(async () => {
    await wb?.close();
  });

  it("still analyses, but refuses to verify (which runs the user's code)", async () => {
    await wb.openFile("keras_regression.py");
    await wb.until("a squiggle in restricted mode", async () => (await wb.editor().locator(SQUIGGLE).count()) > 0, 60_000);
    await wb.runCommand("MLSense: Verify translation");
    await wb.until("the refusal", async () => (await wb.notifications()).some((n) => n.includes("disabled in an untrusted workspace")), 30_000);
    await wb.shot("untrusted-refusal");
    const lens = (await wb.editor().locator(".codelens-decoration").allInnerTexts()).join(" ");
    assert.ok(!lens.includes("Verify"), `no Verify lens in an untrusted workspace: ${lens}`);
  });
});

describe("a new user: one .vsix and a Python without mlsense", { concurrency: 1 }, () => {
  let wb;
  let bare;
  before(async () => {
    bare = join(bareVenv(join(mkdtempSync(join(tmpdir(), "mlsense-bare-")), "venv")), "python");
    wb = await startWorkbench("new-user", seedWorkspace("new-user"), { settings: { "mlsense.interpreter": [bare] } });
  });
  after(async () => {
    await wb?.close();
  });

  it("gets diagnostics on the seed files from the bundled server", async () => {
    await wb.openFile("keras_regression.py");
    await wb.until("a squiggle with the bundled server", async () => (await wb.editor().locator(SQUIGGLE).count()) > 0, 90_000);
    await wb.shot("new-user-keras-seed");
    await wb.openFile("torch_regression.py");
    await wb.until("the torch seed's MLS101 squiggle", async () => (await wb.editor().locator(SQUIGGLE).count()) > 0, 60_000);
    const rows = await wb.problems();
    assert.ok(rows.some((r) => r.includes("MLS101")) && rows.some((r) => r.includes("MLS301")), rows.join("\n"));
    await wb.shot("new-user-torch-seed");
    const log = wb.extensionLog();
    assert.ok(log.includes(`Starting: ${bare} -m mlsense serve`), log);
    assert.match(log, /server bundled with the extension/);
  });
});
