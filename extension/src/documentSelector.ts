/** Which documents the language client sends to the server. */

/**
 * Python files (saved and untitled) and the Python cells of Jupyter notebooks: with the notebook
 * filter the client uses LSP notebook document sync when the server advertises
 * `notebookDocumentSync`.
 */
export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "python" },
  { scheme: "untitled", language: "python" },
  { notebook: "jupyter-notebook", language: "python" },
] as const;

/** The `workspace/didChangeConfiguration` payload, in the shape VS Code's own sync uses. */
export function configurationPayload<T>(options: T): { settings: { mlsense: T } } {
  return { settings: { mlsense: options } };
}
