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

/**
 * Answer a `workspace/configuration` request: our validated options for every item asking for
 * section `mlsense`; undefined when any item asks for something else (the client's default
 * handling then answers from VS Code's settings).
 */
export function configurationResponse<T>(items: ReadonlyArray<{ section?: string }>, options: T): T[] | undefined {
  return items.length > 0 && items.every((item) => item.section === "mlsense") ? items.map(() => options) : undefined;
}
