"""Structure: files live in the folder of their layer (directory/layer agreement), tests beside models."""

from __future__ import annotations

from dab.domain.quality import TestKind
from dab.rules.checks.base import CheckSpec, Outcome, Param, fail, is_source, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule

_FOLDERS: dict[str, tuple[str, ...]] = {
    "bronze": ("staging",),
    "silver": ("intermediate",),
    "gold": ("marts",),
}


def _folders(path: str) -> list[str]:
    """The folders of a file path, lower-cased, as ``PurePosixPath(path).parts[:-1]`` has them
    (empty and ``.`` parts dropped, a leading ``/`` or ``//`` kept) without building a path."""
    posix = path.replace("\\", "/")
    parts = [p.lower() for p in posix.split("/") if p and p != "."]
    if posix.startswith("/"):
        parts.insert(0, "//" if posix.startswith("//") and not posix.startswith("///") else "/")
    return parts[:-1]


def model_directory(_ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    layer = capsule.layer_value
    if layer not in _FOLDERS or not capsule.path:
        return None
    expected = tuple(param(rule, f"{layer}_folders", _FOLDERS[layer]))
    if set(expected) & set(_folders(capsule.path)):
        return []
    return fail(
        layer,
        f"{layer} {label(capsule)} is in {capsule.path}, not under a {' or '.join(expected)} folder",
    )


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


def tests_beside_model(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    """Generic tests are declared in the folder of the model they test."""
    capsule = subject.capsule
    tests = [
        t
        for t in ctx.graph.tests_by_capsule.get(capsule.urn, ())
        if t.path and t.kind is not TestKind.SINGULAR
    ]
    if not capsule.path or not tests:
        return None  # no file paths known (tests stored before they were kept)
    home = _folders(capsule.path)
    return [
        Failure(
            t.name, f"test '{t.name}' of {label(capsule)} is declared in {t.path}, not next to {capsule.path}"
        )
        for t in sorted(tests, key=lambda t: t.name)
        if _folders(t.path or "") != home
    ]


SPECS: dict[str, CheckSpec] = {
    "model_directory": CheckSpec(
        model_directory,
        params={f"{layer}_folders": Param("str_list", folders) for layer, folders in _FOLDERS.items()},
    ),
    "source_directory": CheckSpec(
        source_directory,
        params={"folders": Param("str_list", _FOLDERS["bronze"]), "per_source_folder": Param("bool", True)},
    ),
    "test_directory": CheckSpec(tests_beside_model),
}
