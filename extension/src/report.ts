/**
 * The verification report as a page (shown in a webview): verdict, per device and per output
 * the max error against the tolerance, and per mapped layer its error with the first diverging
 * layer marked and linked to its source line. Pure: HTML from the server's report object.
 */

export interface ReportLayer {
  kind: string;
  torch_path: string;
  keras_path: string;
  line: number;
  max_abs_error: number | null;
  diverges: boolean;
  note?: string;
}

export interface ReportOutput {
  shape?: number[];
  target_shape?: number[];
  max_abs_error?: number | null;
  max_rel_error?: number | null;
  allclose?: boolean;
}

export interface ReportDevice {
  device: string;
  backend: string;
  verified: boolean;
  skipped: boolean;
  max_abs_error: number | null;
  message: string;
  outputs: ReportOutput[];
}

/** Weights compared after one optimisation step. */
export interface ReportTrainingStep {
  step: number;
  max_weight_error: number | null;
  weights_close: boolean;
  worst?: string;
}

export interface ReportTraining {
  ran: boolean;
  verified: boolean;
  steps: ReportTrainingStep[];
  torch_loss: number[];
  keras_loss: number[];
  max_weight_error: number | null;
  atol?: number;
  rtol?: number;
  message: string;
  notes?: string[];
}

export interface VerificationReportData {
  verified: boolean;
  cancelled?: boolean;
  message: string;
  max_abs_error: number | null;
  atol?: number;
  rtol?: number;
  devices: string[];
  per_device: ReportDevice[];
  per_layer: ReportLayer[];
  onnx?: { agrees?: boolean; message?: string } | null;
  /** The training check (same weights, same batches, a few optimisation steps), when it ran. */
  training?: ReportTraining | null;
  notes?: string[];
  duration_s?: number;
}

/** The report fields the page needs, from whatever the server sent (missing parts stay empty). */
export function reportData(raw: unknown): VerificationReportData {
  const r = (raw ?? {}) as Partial<VerificationReportData>;
  const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    verified: r.verified === true,
    cancelled: r.cancelled === true,
    message: typeof r.message === "string" ? r.message : "",
    max_abs_error: num(r.max_abs_error),
    atol: num(r.atol) ?? undefined,
    rtol: num(r.rtol) ?? undefined,
    devices: Array.isArray(r.devices) ? r.devices.map(String) : [],
    per_device: Array.isArray(r.per_device) ? r.per_device : [],
    per_layer: Array.isArray(r.per_layer) ? r.per_layer : [],
    onnx: r.onnx ?? null,
    training: r.training && typeof r.training === "object" && r.training.ran ? {
      ...r.training,
      torch_loss: Array.isArray(r.training.torch_loss) ? r.training.torch_loss.map(Number) : [],
      keras_loss: Array.isArray(r.training.keras_loss) ? r.training.keras_loss.map(Number) : [],
      steps: Array.isArray(r.training.steps) ? r.training.steps : [],
      max_weight_error: num(r.training.max_weight_error),
    } : null,
    notes: Array.isArray(r.notes) ? r.notes.map(String) : [],
    duration_s: num(r.duration_s) ?? undefined,
  };
}

const escape = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c] as string);
const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? "n/a" : v.toExponential(2));

function renderTraining(t: ReportTraining): string {
  const rows = t.torch_loss.map((loss, i) => {
    const checked = t.steps.find((s) => s.step === i + 1);
    const weights = checked ? `${fmt(checked.max_weight_error)}${checked.worst ? ` (${escape(checked.worst)})` : ""}` : "";
    return `<tr><td>step ${i + 1}</td><td class="num">${fmt(loss)}</td><td class="num">${fmt(t.keras_loss[i])}</td>`
      + `<td class="num">${fmt(Math.abs(loss - (t.keras_loss[i] ?? Number.NaN)))}</td><td class="num">${weights}</td></tr>`;
  }).join("");
  const tol = t.atol !== undefined ? ` against atol ${t.atol}, rtol ${t.rtol ?? "?"}` : "";
  return `<h2>Training</h2><p id="training" class="${t.verified ? "ok" : "bad"}">${t.verified ? "Trains the same" : "Trains differently"}: `
    + `${t.torch_loss.length} steps from the same weights on the same batches, max weight difference ${fmt(t.max_weight_error)}${escape(tol)}.</p>`
    + `<p>${escape(t.message)}</p>`
    + (rows ? `<table><thead><tr><th></th><th>PyTorch loss</th><th>Keras loss</th><th>difference</th><th>max weight difference</th></tr></thead><tbody>${rows}</tbody></table>` : "");
}

/** The page. `sourceName`: the verified file's name; `nonce`: the script's CSP nonce. */
export function renderReport(data: VerificationReportData, sourceName: string, target: string, nonce: string): string {
  const verdict = data.cancelled ? "Verification cancelled" : data.verified ? "Verified" : "NOT verified";
  const cls = data.verified ? "ok" : "bad";
  const tol = data.atol !== undefined ? `atol ${data.atol}, rtol ${data.rtol ?? "?"}` : "";
  const first = data.per_layer.find((l) => l.diverges);
  const devices = data.per_device.map((d) => {
    const state = d.skipped ? "skipped" : d.verified ? "verified" : "FAILED";
    const outputs = (d.outputs ?? []).map((o, i) => `<tr><td>output ${i}</td><td>${escape(JSON.stringify(o.shape ?? []))}</td>`
      + `<td class="num">${fmt(o.max_abs_error)}</td><td class="num">${fmt(o.max_rel_error)}</td>`
      + `<td class="${o.allclose ? "ok" : "bad"}">${o.allclose ? "within" : "over"} tolerance</td></tr>`).join("");
    return `<h3>${escape(d.device)} · Keras on ${escape(d.backend)}: <span class="${d.verified ? "ok" : "bad"}">${state}</span></h3>`
      + `<p>${escape(d.message)}</p>`
      + (outputs ? `<table><thead><tr><th>output</th><th>shape</th><th>max abs error</th><th>max rel error</th><th></th></tr></thead><tbody>${outputs}</tbody></table>` : "");
  }).join("");
  const layers = data.per_layer.map((l) => {
    const state = l.max_abs_error === null ? escape(l.note || "not compared") : l.diverges ? "first divergence" : "agrees";
    return `<tr class="${l.diverges ? "diverges" : ""}"><td><a href="#" data-line="${Number(l.line) || 0}">line ${escape(l.line)}</a></td>`
      + `<td>${escape(l.torch_path)}</td><td>${escape(l.keras_path)}</td><td>${escape(l.kind)}</td>`
      + `<td class="num">${fmt(l.max_abs_error)}</td><td>${state}</td></tr>`;
  }).join("");
  const notes = (data.notes ?? []).map((n) => `<li>${escape(n)}</li>`).join("");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';">
<title>Verification: ${escape(sourceName)}</title>
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em; }
.ok { color: var(--vscode-testing-iconPassed, #388a34); } .bad { color: var(--vscode-testing-iconFailed, #e51400); }
table { border-collapse: collapse; margin: .5em 0 1em; } th, td { text-align: left; padding: 2px 10px; border-bottom: 1px solid var(--vscode-panel-border, #8884); }
td.num { font-family: var(--vscode-editor-font-family); text-align: right; }
tr.diverges td { background: var(--vscode-inputValidation-errorBackground, #f004); font-weight: bold; }
a { color: var(--vscode-textLink-foreground); }
</style></head>
<body>
<h1 id="verdict" class="${cls}">${verdict}: ${escape(sourceName)} → ${escape(target)}</h1>
<p id="summary">Max abs error <b>${fmt(data.max_abs_error)}</b>${tol ? ` against ${escape(tol)}` : ""} on ${escape(data.devices.join(", ") || "no device")}${data.duration_s !== undefined ? ` · ${data.duration_s.toFixed(1)} s` : ""}.</p>
${first ? `<p id="divergence" class="bad">First diverging layer: <a href="#" data-line="${Number(first.line) || 0}">${escape(first.torch_path)} ↔ ${escape(first.keras_path)} (${escape(first.kind)}, line ${escape(first.line)})</a>, max abs error ${fmt(first.max_abs_error)}.</p>` : ""}
<h2>Outputs</h2>
${devices || "<p>No device ran.</p>"}
<h2>Layers</h2>
${layers ? `<table id="layers"><thead><tr><th>source</th><th>PyTorch</th><th>Keras</th><th>kind</th><th>max abs error</th><th></th></tr></thead><tbody>${layers}</tbody></table>` : "<p>No layer with weights was mapped.</p>"}
${data.training ? renderTraining(data.training) : ""}
${data.onnx ? `<h2>ONNX</h2><p>${escape(data.onnx.message ?? "")}</p>` : ""}
${notes ? `<h2>Notes</h2><ul>${notes}</ul>` : ""}
<details><summary>Message</summary><pre>${escape(data.message)}</pre></details>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
for (const a of document.querySelectorAll("a[data-line]")) {
  a.addEventListener("click", (e) => { e.preventDefault(); vscode.postMessage({ command: "openLine", line: Number(a.dataset.line) }); });
}
</script>
</body></html>`;
}
