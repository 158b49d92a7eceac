/** Locations the tests need, found from the compiled test file wherever it is. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The repository root: the nearest folder above whose package.json is the mlsense manifest. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "mlsense") {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no mlsense package.json above ${__dirname}`);
    }
    dir = parent;
  }
}

/** The Python that has mlsense installed: $MLSENSE_PYTHON, else the repository's .venv. */
export function mlsensePython(): string | undefined {
  const fromEnv = process.env.MLSENSE_PYTHON;
  if (fromEnv) {
    return fromEnv;
  }
  const venv = join(repoRoot(), ".venv", "bin", "python");
  return existsSync(venv) ? venv : undefined;
}
