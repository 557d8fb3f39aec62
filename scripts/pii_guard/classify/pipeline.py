"""The stages in order: read the manifest (and catalog), list the
unclassified columns, sample, propose, and build the yml patch.

>>> Sampling().how
'none'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pii_guard.classify.columns import Relation, relations_to_classify
from pii_guard.classify.patch import Entity, Patch, yml_patch
from pii_guard.classify.propose import Proposal, propose_column
from pii_guard.classify.sample import Sample, sample_duckdb, sample_profile
from pii_guard.lineage.project import _read_json
from pii_guard.lineage.validate import CATALOG_HINT, MANIFEST_HINT, validate_catalog, validate_manifest


@dataclass
class Sampling:
    """How to read values: none, a DuckDB file, or the project's dbt profile."""

    how: str = "none"  # none | duckdb | profile
    rows: int = 200
    duckdb: Path | None = None
    profiles_dir: Path | None = None
    target: str | None = None


@dataclass
class RelationResult:
    relation: Relation
    proposals: list[Proposal]
    sample: Sample | None  # None: sampling was off


@dataclass
class Classification:
    sampling: Sampling
    results: list[RelationResult] = field(default_factory=list)
    patch: Patch = field(default_factory=Patch)

    @property
    def proposals(self) -> list[Proposal]:
        return [p for r in self.results for p in r.proposals]


def read_inputs(manifest_path: Path, catalog_path: Path | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The manifest and catalog as JSON, their shape checked (InputError otherwise)."""
    manifest = _read_json(manifest_path, "manifest.json", MANIFEST_HINT)
    validate_manifest(manifest, manifest_path)
    catalog = None
    if catalog_path is not None:
        catalog = _read_json(catalog_path, "catalog.json", CATALOG_HINT)
        validate_catalog(catalog, catalog_path)
    return manifest, catalog


def classify(manifest_path: Path, catalog_path: Path | None, project_dir: Path,
             sampling: Sampling | None = None) -> Classification:
    """Proposals for every unclassified column of the project, and the patch."""
    sampling = sampling or Sampling()
    manifest, catalog = read_inputs(manifest_path, catalog_path)
    relations = relations_to_classify(manifest, catalog, project_dir)
    samples: dict[str, Sample] = {}
    if sampling.how == "duckdb" and sampling.duckdb is not None:
        samples = sample_duckdb(sampling.duckdb, relations, sampling.rows)
    elif sampling.how == "profile":
        samples = sample_profile(project_dir, sampling.profiles_dir, sampling.target, relations, sampling.rows)

    result = Classification(sampling)
    for relation in relations:
        sample = samples.get(relation.unique_id) if sampling.how != "none" else None
        if sample is not None and sample.sampled:
            relation.add_columns(list(sample.columns))
        proposals = [propose_column(column, relation.name, sample.columns.get(column) if sample and sample.sampled
                                    else None) for column in relation.unclassified]
        if proposals:
            result.results.append(RelationResult(relation, proposals, sample))
    result.patch = _patch(project_dir, result.results)
    return result


def _patch(project_dir: Path, results: list[RelationResult]) -> Patch:
    by_file: dict[str | None, list[Entity]] = {}
    code_paths: dict[tuple[str, str], str] = {}
    for item in results:
        relation = item.relation
        entity: Entity = (relation.resource_type, relation.source_name, relation.name,
                          {p.column: p.meta() for p in item.proposals})
        by_file.setdefault(relation.yml_path, []).append(entity)
        code_paths[(relation.resource_type, relation.name)] = relation.code_path
    return yml_patch(project_dir, by_file, code_paths)
