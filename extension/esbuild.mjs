// Bundles the extension (extension/out/extension.js), or with --tests only the Node test files
// (extension/out/test/**.js). `vscode` is provided by the editor at run time and never bundled.
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const production = process.argv.includes("--production");
const tests = process.argv.includes("--tests");

const common = {
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  external: ["vscode"],
  logLevel: "warning",
};

if (!tests) {
  await build({
  ...common,
  entryPoints: [join(here, "src", "extension.ts")],
  outfile: join(here, "out", "extension.js"),
  minify: production,
  sourcemap: !production,
  });
}

if (tests) {
  const dir = join(here, "test");
  const files = [
    ...readdirSync(join(dir, "unit")).filter((f) => f.endsWith(".test.ts")).map((f) => join(dir, "unit", f)),
    ...readdirSync(dir).filter((f) => f.endsWith(".test.ts")).map((f) => join(dir, f)),
  ];
  await build({ ...common, entryPoints: files, outbase: dir, outdir: join(here, "out", "test"), sourcemap: "inline" });
}
