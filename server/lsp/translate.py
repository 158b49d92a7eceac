"""``mlsense.translateFramework``: translate an open document, never overwriting a file.

The target is a sibling file (``<stem>_keras.py`` / ``<stem>_torch.py``). When it does not
exist the server asks the client to create it (``workspace/applyEdit``: CreateFile + insert; the
client may ask the user); when it exists nothing is written and the code comes back for the
client to show as a diff. Translators are imported lazily: they never import a framework, but
they are only needed when asked for.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.uris import from_fs_path, to_fs_path

from .actions import TRANSLATE_COMMAND
from .settings import plain

REQUEST_FAILED = -32803  # LSP ErrorCodes.RequestFailed
TARGETS = {"keras": "_keras", "pytorch": "_torch"}


def parse_translate_arguments(args: tuple[Any, ...], command: str = TRANSLATE_COMMAND
                              ) -> tuple[str, str, str | None, tuple[int, ...] | None]:
    """(uri, target, class name, input shape) from the command's single object argument
    ``{uri, target: "keras" | "pytorch", className?, inputShape?: [int, ...]}``."""
    arg = command_argument(args, command)
    uri, target, class_name = arg.get("uri"), arg.get("target"), arg.get("className")
    if not isinstance(uri, str) or not uri:
        raise JsonRpcInvalidParams(f"{command}: `uri` must be a document URI")
    if target not in TARGETS:
        raise JsonRpcInvalidParams(
            f"{command}: `target` must be keras or pytorch, got {target!r}")
    if class_name is not None and not isinstance(class_name, str):
        raise JsonRpcInvalidParams(f"{command}: `className` must be a string")
    shape = arg.get("inputShape")
    if shape is not None and not (isinstance(shape, (list, tuple)) and shape and all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)):
        raise JsonRpcInvalidParams(
            f"{command}: `inputShape` must be a list of positive integers")
    return uri, target, class_name, tuple(shape) if shape is not None else None


def command_argument(args: tuple[Any, ...], command: str) -> Mapping[str, Any]:
    """The single object argument of a command (pygls hands it over as a namedtuple)."""
    arg = plain(args[0]) if len(args) == 1 else None
    if not isinstance(arg, Mapping):
        raise JsonRpcInvalidParams(
            f"{command} takes one object argument {{uri, target, className?, ...}}")
    return arg


def wants_verification(args: tuple[Any, ...]) -> bool:
    """``verify: true`` in translateFramework's argument (anything else: no verification)."""
    return command_argument(args, TRANSLATE_COMMAND).get("verify") is True


def document_text(server: Any, uri: str, command: str) -> str:
    """The text of ``uri``: as open in the editor, else read from disk."""
    state = server.engine.documents.get(uri)
    if state is not None:
        return str(state.doc.text)
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if path is None or not os.path.isfile(path):
        raise JsonRpcInvalidParams(f"{command}: no such document {uri}")
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise JsonRpcException(f"{command}: cannot read {path}: {exc}",
                               code=REQUEST_FAILED) from exc


def sibling_path(source: Path, target: str) -> Path:
    """Where the translation of ``source`` goes: ``model.py`` -> ``model_keras.py``."""
    return source.with_name(f"{source.stem}{TARGETS[target]}.py")


def run_translation(text: str, target: str, class_name: str | None, filename: str,
                    input_shape: tuple[int, ...] | None = None, worker: Any = None) -> Any:
    """Translate ``text`` (worker thread); a TranslationError becomes a located RequestFailed.

    With a verification ``worker`` (the workspace is trusted and verification enabled), a model
    the static reading cannot follow is built and traced in it, as ``mlsense translate`` does;
    without one the source is only read."""
    try:
        from ...translators import TranslationError, translate
    except ImportError as exc:
        raise JsonRpcException(f"translators are not available: {exc}", code=REQUEST_FAILED) \
            from exc
    try:
        return translate(text, target, class_name=class_name, filename=filename,
                         input_shape=input_shape, run_code=worker is not None, worker=worker)
    except TranslationError as exc:
        located = "; ".join(f"{filename}:{u.line}:{u.column + 1}: {u.construct}: {u.reason}"
                            for u in exc.unsupported)
        message = f"cannot translate {filename} to {target}: {exc}"
        if located and filename not in str(exc):
            message += f" ({located})"
        raise JsonRpcException(message, code=REQUEST_FAILED,
                               data={"unsupported": [u.as_dict() for u in exc.unsupported]}) \
            from exc
    except ImportError as exc:  # the direction's implementation has not landed yet
        raise JsonRpcException(f"translation to {target} is not available: {exc}",
                               code=REQUEST_FAILED) from exc


def create_file_edit(target_uri: str, code: str) -> types.WorkspaceEdit:
    """CreateFile (failing rather than overwriting) followed by the insertion of ``code``."""
    doc = types.OptionalVersionedTextDocumentIdentifier(uri=target_uri, version=None)
    start = types.Position(0, 0)
    return types.WorkspaceEdit(document_changes=[
        types.CreateFile(uri=target_uri,
                         options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False)),
        types.TextDocumentEdit(text_document=doc, edits=[
            types.TextEdit(range=types.Range(start, start), new_text=code)]),
    ])


async def translate_document(server: Any, uri: str, text: str, target: str,
                             class_name: str | None,
                             input_shape: tuple[int, ...] | None = None,
                             verify: bool = False) -> dict[str, Any]:
    """The command's body: translate, then create the sibling file or return the code; with
    ``verify``, the ``verification`` field holds mlsense.verifyTranslation's result."""
    source = to_fs_path(uri) if uri.startswith("file:") else None
    if source is None:
        raise JsonRpcInvalidParams(f"{TRANSLATE_COMMAND}: not a file URI: {uri}")
    src_path = Path(source)
    loop = asyncio.get_running_loop()
    # Running the file's code to build and trace its model is verification's privilege: the
    # same settings gate it (trusted workspace, verification enabled), and the same warm worker.
    worker = server.verifier.worker() if server.verifier.refusal() is None else None
    if verify and worker is not None:
        # The worker's imports (seconds) overlap the translation, as in `translate --verify`.
        from ...translators.verify import start_workers
        start_workers(worker, server.settings.verification.device)
    translation = await loop.run_in_executor(
        None, run_translation, text, target, class_name, src_path.name, input_shape, worker)
    target_path = sibling_path(src_path, target)
    target_uri = from_fs_path(str(target_path)) or target_path.as_uri()
    result: dict[str, Any] = {
        "targetUri": target_uri,
        "targetCode": translation.target_code,
        "unsupported": [u.as_dict() for u in translation.unsupported],
        "exists": target_path.exists(),
        "applied": False,
    }
    if not result["exists"]:
        response = await server.ask_client(
            types.WORKSPACE_APPLY_EDIT,
            server.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                edit=create_file_edit(target_uri, translation.target_code),
                label=f"mlsense: create {target_path.name}")),
            None, "the translation is returned but no file was created")
        result["applied"] = getattr(response, "applied", False) is True
    if verify:
        result["verification"] = await verify_translation_hook(server, translation, src_path,
                                                               text)
        server.record_verification(uri, class_name, target, text, result["verification"])
    return result


async def verify_translation_hook(server: Any, translation: Any, source_path: Path,
                                  source_text: str) -> dict[str, Any]:
    """Verify an already made translation with the server's verifier (worker subprocess,
    ``$/progress``, cancellable); refused verification comes back as an unverified result."""
    refusal = server.verifier.refusal()
    if refusal is not None:
        return server.verifier.unverified(refusal)
    return await server.verifier.verify(source_path, translation, source_text,
                                        server.settings.verification.device,
                                        f"verifying the translation of {source_path.name}")
