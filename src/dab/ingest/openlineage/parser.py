"""OpenLineage events -> what they assert: jobs, datasets, columns, lineage and runs.

Pure. The result still names datasets by their OpenLineage identity; which stored node a
dataset is (its own, or a dbt source/seed/model naming the same relation) is decided when it is
written, because only the store knows the dbt projects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.lineage import TransformationKind
from dab.domain.relations import namespace_scheme, relation_key
from dab.domain.urns import capsule_urn
from dab.errors import InvalidInput
from dab.ingest.openlineage.validate import validate_event

SOURCE = "openlineage"

RUN_STATUS = {
    "START": "running",
    "RUNNING": "running",
    "COMPLETE": "success",
    "FAIL": "error",
    "ABORT": "cancelled",
    "OTHER": "running",
}
"""OpenLineage event types as run-history statuses (``success`` is what SLOs count)."""
TERMINAL = frozenset({"success", "error", "cancelled"})

_DIRECT = {
    "IDENTITY": TransformationKind.IDENTITY,
    "TRANSFORMATION": TransformationKind.TRANSFORMATION,
    "AGGREGATION": TransformationKind.AGGREGATION,
}


def _parts(name: str) -> tuple[str, ...]:
    return tuple(name.split(".")) or (name,)


@lru_cache(maxsize=65_536)  # the same few namespaces and names recur in every event
def job_urn(namespace: str, name: str) -> str:
    return capsule_urn(SOURCE, CapsuleType.JOB.value, namespace, _parts(name))


@lru_cache(maxsize=65_536)
def dataset_urn(namespace: str, name: str) -> str:
    return capsule_urn(SOURCE, CapsuleType.DATASET.value, namespace, _parts(name))


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A dataset as OpenLineage names it, and the relation it may share with a dbt node."""

    urn: str
    namespace: str
    name: str
    scheme: str
    relation: str | None


@dataclass(frozen=True, slots=True)
class Field:
    dataset_urn: str
    name: str
    data_type: str | None
    description: str | None
    ordinal: int


@dataclass(frozen=True, slots=True)
class FieldEdge:
    """DERIVED_FROM between two dataset fields (output field from input field)."""

    source_dataset: str
    source_field: str
    target_dataset: str
    target_field: str
    kind: TransformationKind


@dataclass(frozen=True, slots=True)
class RunState:
    job_urn: str
    run_id: str
    status: str
    event_time: datetime
    outputs: tuple[str, ...]


@dataclass
class LineageBatch:
    """Everything a batch of events asserts, each item once."""

    jobs: dict[str, Capsule] = field(default_factory=dict)
    datasets: dict[str, DatasetRef] = field(default_factory=dict)
    fields: dict[tuple[str, str], Field] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)
    """FLOWS_TO: input dataset -> job, job -> output dataset (URNs as OpenLineage names them)."""
    field_edges: dict[tuple[str, str, str, str], FieldEdge] = field(default_factory=dict)
    runs: list[RunState] = field(default_factory=list)


def dataset_capsule(ref: DatasetRef) -> Capsule:
    """The capsule of a dataset no dbt project declares."""
    parts = ref.name.split(".")
    three = len(parts) == 3
    return Capsule(
        urn=ref.urn,
        name=ref.name,
        capsule_type=CapsuleType.DATASET,
        namespace=ref.namespace,
        source=SOURCE,
        database=parts[0] if three else None,
        schema=parts[1] if three else None,
        relation_name=ref.name if three else None,
    )


def _event_time(event: Mapping[str, Any]) -> datetime:
    when = datetime.fromisoformat(event["eventTime"].upper())  # RFC 3339 allows "t" and "z"
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def event_key(event: Mapping[str, Any]) -> str:
    """Run id + event type + event time (UTC); events without a run use the job or dataset."""
    when = _event_time(event).isoformat()
    if "run" in event:
        return f"run:{event['run']['runId']}|{event.get('eventType') or 'OTHER'}|{when}"
    if "dataset" in event:
        ds = event["dataset"]
        return f"dataset:{ds['namespace']}:{ds['name']}|DATASET|{when}"
    job = event["job"]
    return f"job:{job['namespace']}:{job['name']}|JOB|{when}"


def _documentation(facets: Mapping[str, Any] | None) -> str | None:
    doc = (facets or {}).get("documentation") or {}
    text = doc.get("description")
    return text if isinstance(text, str) and text else None


class _Collector:
    def __init__(self) -> None:
        self.batch = LineageBatch()

    def dataset(self, data: Mapping[str, Any]) -> str:
        urn = self._named(data["namespace"], data["name"])
        facets = data.get("facets")
        if facets:
            self._fields(urn, facets.get("schema"))
            self._column_lineage(urn, facets.get("columnLineage"))
        return urn

    def _named(self, namespace: str, name: str) -> str:
        urn = dataset_urn(namespace, name)
        if urn not in self.batch.datasets:
            relation = relation_key(name) if len(name.split(".")) == 3 else None
            self.batch.datasets[urn] = DatasetRef(urn, namespace, name, namespace_scheme(namespace), relation)
        return urn

    def _fields(self, urn: str, facet: Mapping[str, Any] | None) -> None:
        fields = self.batch.fields
        for ordinal, item in enumerate((facet or {}).get("fields") or (), start=1):
            name, data_type, text = item["name"], item.get("type"), item.get("description")
            key, value = (urn, name.lower()), (name, data_type, text, ordinal)
            old = fields.get(key)
            # The last event's field wins; the same field again (most events) is not rebuilt.
            if old is None or (old.name, old.data_type, old.description, old.ordinal) != value:
                fields[key] = Field(urn, *value)

    def _column_lineage(self, target: str, facet: Mapping[str, Any] | None) -> None:
        fields, edges = self.batch.fields, self.batch.field_edges
        for out_field, spec in ((facet or {}).get("fields") or {}).items():
            legacy = spec.get("transformationType")
            out_key = (target, out_field.lower())
            for source in spec.get("inputFields") or ():
                src = self._named(source["namespace"], source["name"])  # an input field: no facets
                kind = transformation_kind(source.get("transformations") or (), legacy)
                in_field = source["field"]
                in_key = (src, in_field.lower())
                key = (*in_key, *out_key)
                old = edges.get(key)
                if old is None or (old.kind, old.source_field, old.target_field) != (
                    kind,
                    in_field,
                    out_field,
                ):
                    edges[key] = FieldEdge(src, in_field, target, out_field, kind)
                if in_key not in fields:
                    fields[in_key] = Field(src, in_field, None, None, 0)
            if out_key not in fields:
                fields[out_key] = Field(target, out_field, None, None, 0)

    def job(self, data: Mapping[str, Any]) -> str:
        namespace, name = data["namespace"], data["name"]
        urn = job_urn(namespace, name)
        description = _documentation(data.get("facets"))
        old = self.batch.jobs.get(urn)
        if old is None or old.description != description:  # the same job again is not rebuilt
            self.batch.jobs[urn] = Capsule(
                urn=urn,
                name=name,
                capsule_type=CapsuleType.JOB,
                namespace=namespace,
                source=SOURCE,
                description=description,
            )
        return urn

    def event(self, event: Mapping[str, Any]) -> None:
        if "dataset" in event and "job" not in event:
            self.dataset(event["dataset"])
            return
        job = self.job(event["job"])
        inputs = [self.dataset(d) for d in event.get("inputs") or ()]
        outputs = [self.dataset(d) for d in event.get("outputs") or ()]
        self.batch.edges.update((i, job) for i in inputs)
        self.batch.edges.update((job, o) for o in outputs)
        if "run" in event:
            status = RUN_STATUS[event.get("eventType") or "OTHER"]
            self.batch.runs.append(
                RunState(job, event["run"]["runId"], status, _event_time(event), tuple(outputs))
            )


def transformation_kind(
    transformations: Iterable[Mapping[str, Any]], legacy: str | None
) -> TransformationKind:
    """OpenLineage transformation types as dab's hop kinds: masking wins, then the direct
    subtype (identity/transformation/aggregation); indirect-only inputs are filters."""
    items = list(transformations)
    if any(t.get("masking") for t in items) or (legacy or "").upper() == "MASKED":
        return TransformationKind.MASKING
    direct = [t for t in items if str(t.get("type", "")).upper() == "DIRECT"]
    if direct:
        return _DIRECT.get(str(direct[0].get("subtype", "")).upper(), TransformationKind.TRANSFORMATION)
    if items:
        return TransformationKind.FILTER
    return (
        TransformationKind.IDENTITY
        if (legacy or "").upper() == "IDENTITY"
        else TransformationKind.TRANSFORMATION
    )


def checked_key(event: Any, prefix: str = "$") -> str:
    """Validate one event (errors name ``prefix`` + the JSON path) and return its key."""
    validate_event(event, prefix)
    try:
        return event_key(event)
    except ValueError as exc:  # RFC 3339 but not a Python time, e.g. a leap second
        where = f"{prefix}.eventTime"
        raise InvalidInput(f"{where}: {event['eventTime']!r} cannot be used ({exc})", location=where) from exc


def validate_events(events: Iterable[Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Every event checked (the first invalid one raises, naming ``$[i].path``), with its key.

    The whole batch is validated before anything is collected, so an invalid batch asserts nothing.
    """
    return [(checked_key(event, f"$[{index}]"), event) for index, event in enumerate(events)]


def collect(events: Iterable[Mapping[str, Any]]) -> LineageBatch:
    """What valid events assert, each item once (see ``validate_events``)."""
    collector = _Collector()
    for event in events:
        collector.event(event)
    return collector.batch


def parse_events(events: Iterable[Any]) -> LineageBatch:
    return collect(event for _, event in validate_events(events))
