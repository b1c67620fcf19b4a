"""Structure: files live in the folder of their layer (directory/layer agreement), tests beside models."""

from __future__ import annotations

from collections.abc import Sequence

from dab.domain.capsule import Capsule
from dab.domain.quality import TestKind
from dab.rules.checks.base import (
    CheckSpec,
    Failing,
    Judged,
    Outcome,
    Param,
    each,
    fail,
    is_source,
    label,
    param,
)
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Rule

_FOLDERS: dict[str, tuple[str, ...]] = {
    "bronze": ("staging",),
    "silver": ("intermediate",),
    "gold": ("marts",),
}


def _folders(path: str) -> list[str]:
    """The folders of a file path, lower-cased, as ``PurePosixPath(path).parts[:-1]`` has them
    (empty and ``.`` parts dropped, a leading ``/`` or ``//`` kept) without building a path."""
    if not (
        "\\" in path or "//" in path or "/." in path or path.startswith((".", "/")) or path.endswith("/")
    ):
        return path.lower().split("/")[:-1]  # the usual path: no empty or dot part to drop
    posix = path.replace("\\", "/")
    parts = [p.lower() for p in posix.split("/") if p and p != "."]
    if posix.startswith("/"):
        parts.insert(0, "//" if posix.startswith("//") and not posix.startswith("///") else "/")
    return parts[:-1]


def model_directory(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """A capsule of a medallion layer with a known path lies under one of its layer's folders."""
    expected = {layer: tuple(param(rule, f"{layer}_folders", default)) for layer, default in _FOLDERS.items()}
    layers = ctx.layers
    applicable = 0
    failing: list[Failing] = []
    for capsule in capsules:
        layer = layers[capsule.urn]
        if layer not in expected or not capsule.path:
            continue
        applicable += 1
        folders = expected[layer]
        if not any(f in folders for f in _folders(capsule.path)):
            where = " or ".join(folders)
            message = f"{layer} {label(capsule)} is in {capsule.path}, not under a {where} folder"
            failing.append((capsule, None, [(layer, message)]))
    return applicable, failing


def source_directory(_ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    """A source is declared under a staging folder, in a sub-folder named after the source."""
    capsule = subject.capsule
    if not is_source(capsule) or not capsule.path:
        return None
    expected = tuple(param(rule, "folders", _FOLDERS["bronze"]))
    folders = _folders(capsule.path)
    source = (capsule.source_name or capsule.name.split(".")[0]).lower()
    per_source = bool(param(rule, "per_source_folder", True))
    inside = any(f in expected for f in folders)
    if inside and (not per_source or (folders and folders[-1] == source)):
        return []
    where = f"{'/'.join(expected)}/{source}/" if per_source else f"{' or '.join(expected)}/"
    return fail("", f"{label(capsule)} is declared in {capsule.path}, not under {where}")


def tests_beside_model(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """Generic tests are declared in the folder of the model they test. A capsule without a
    path or without such tests with paths (stored before they were kept) is not judged."""
    by_capsule = ctx.graph.tests_by_capsule
    applicable = 0
    failing: list[Failing] = []
    for capsule in capsules:
        if not capsule.path:
            continue
        tests = [t for t in by_capsule.get(capsule.urn, ()) if t.path and t.kind is not TestKind.SINGULAR]
        if not tests:
            continue
        applicable += 1
        home = _folders(capsule.path)
        failures = [
            (
                t.name,
                f"test '{t.name}' of {label(capsule)} is declared in {t.path}, not next to {capsule.path}",
            )
            for t in sorted(tests, key=lambda t: t.name)
            if _folders(t.path or "") != home
        ]
        if failures:
            failing.append((capsule, None, failures))
    return applicable, failing


SPECS: dict[str, CheckSpec] = {
    "model_directory": CheckSpec(
        model_directory,
        params={f"{layer}_folders": Param("str_list", folders) for layer, folders in _FOLDERS.items()},
    ),
    "source_directory": CheckSpec(
        each(source_directory),
        params={"folders": Param("str_list", _FOLDERS["bronze"]), "per_source_folder": Param("bool", True)},
    ),
    "test_directory": CheckSpec(tests_beside_model),
}
