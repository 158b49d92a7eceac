"""``mlsense.translateFramework``: translate an open document, never overwriting a file.

The target is a sibling file (``<stem>_keras.py`` / ``<stem>_torch.py``). When it does not
exist the server asks the client to create it (``workspace/applyEdit``: CreateFile + insert; the
client may ask the user); when it exists nothing is written and the code comes back for the
client to show as a diff. Translators are imported lazily: they never import a framework, but
they are only needed when asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.uris import from_fs_path, to_fs_path

from .lsp_settings import VerificationSettings

REQUEST_FAILED = -32803  # LSP ErrorCodes.RequestFailed
TARGETS = {"keras": "_keras", "pytorch": "_torch"}


def parse_translate_arguments(args: tuple[Any, ...]
                              ) -> tuple[str, str, str | None, tuple[int, ...] | None]:
    """(uri, target, class name, input shape) from the command's single object argument
    ``{uri, target: "keras" | "pytorch", className?, inputShape?: [int, ...]}``."""
    if len(args) != 1 or not isinstance(args[0], Mapping):
        raise JsonRpcInvalidParams(
            "mlsense.translateFramework takes one object argument {uri, target, className?}")
    arg = args[0]
    uri, target, class_name = arg.get("uri"), arg.get("target"), arg.get("className")
    if not isinstance(uri, str) or not uri:
        raise JsonRpcInvalidParams("mlsense.translateFramework: `uri` must be a document URI")
    if target not in TARGETS:
        raise JsonRpcInvalidParams(
            f"mlsense.translateFramework: `target` must be keras or pytorch, got {target!r}")
    if class_name is not None and not isinstance(class_name, str):
        raise JsonRpcInvalidParams("mlsense.translateFramework: `className` must be a string")
    shape = arg.get("inputShape")
    if shape is not None and not (isinstance(shape, (list, tuple)) and shape and all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)):
        raise JsonRpcInvalidParams(
            "mlsense.translateFramework: `inputShape` must be a list of positive integers")
    return uri, target, class_name, tuple(shape) if shape is not None else None


def sibling_path(source: Path, target: str) -> Path:
    """Where the translation of ``source`` goes: ``model.py`` -> ``model_keras.py``."""
    return source.with_name(f"{source.stem}{TARGETS[target]}.py")


def run_translation(text: str, target: str, class_name: str | None, filename: str,
                    input_shape: tuple[int, ...] | None = None) -> Any:
    """Translate ``text`` (worker thread); a TranslationError becomes a located RequestFailed."""
    try:
        from ..translators import TranslationError, translate
    except ImportError as exc:
        raise JsonRpcException(f"translators are not available: {exc}", code=REQUEST_FAILED) \
            from exc
    try:
        return translate(text, target, class_name=class_name, filename=filename,
                         input_shape=input_shape)
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
                             input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """The command's body: translate, then create the sibling file or return the code."""
    source = to_fs_path(uri)
    if source is None:
        raise JsonRpcInvalidParams(f"mlsense.translateFramework: not a file URI: {uri}")
    src_path = Path(source)
    loop = asyncio.get_running_loop()
    translation = await loop.run_in_executor(
        None, run_translation, text, target, class_name, src_path.name, input_shape)
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
        response = await server.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=create_file_edit(target_uri, translation.target_code),
            label=f"mlsense: create {target_path.name}"))
        result["applied"] = bool(getattr(response, "applied", False))
    verification = await verify_translation_hook(server, translation, src_path, text)
    if verification is not None:
        result["verification"] = verification
    return result


async def verify_translation_hook(server: Any, translation: Any, source_path: Path,
                                  source_text: str) -> dict[str, Any] | None:
    """Hook for the verifier's owner: run both models (subprocess) with ``$/progress`` and
    cancellation, using ``server.settings.verification`` (device, timeoutS); return its report
    as a dict. Until then translation is returned unverified (None)."""
    settings: VerificationSettings = server.settings.verification
    del settings, translation, source_path, source_text
    return None
