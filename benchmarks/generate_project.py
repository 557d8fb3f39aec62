"""Generate a dbt project of N models with PII, for benchmarks.

Shape, repeated with a fixed random seed: raw sources with PII columns,
every column declared in sources.yml with its data_type (so a check without
catalog.json knows them; write_catalog gives the same columns and types);
staging models that protect them with pii_guard macros (every seventh one
"forgets" and renames the raw email as email_hash); intermediate models as
CTE chains, joins, unions, star pass-throughs and ephemeral models; and safe
marts (every tenth model) that aggregate or select * from an intermediate.
All models share one column set, so stars and unions line up.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> generated = generate(root, models=60)
>>> generated.models, len(generated.columns)
(60, 60)
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Real marts are wide: 16 plain attributes ride along with the PII-derived columns.
ATTRIBUTES = [f"attr_{i:02d}" for i in range(1, 17)]
COLUMNS = ["id", "email_hash", "phone_masked", "age_band", "zip3", "amount", "created_at", "status"] + ATTRIBUTES
# The aggregating safe marts' columns.
MART_COLUMNS = ["age_band", "zip3", "status", "orders", "customers", "revenue"]
RAW_COLUMNS = {
    "id": False, "email": True, "phone": True, "full_name": True, "birth_date": True,
    "zip": True, "amount": False, "created_at": False, "status": False,
    **{name: False for name in ATTRIBUTES},
}
# Every raw column is declared in sources.yml with this data_type, and the
# catalog gives the same, so a check without catalog.json knows the same
# columns as one with it.
RAW_TYPE = "VARCHAR"


@dataclass
class Generated:
    path: Path
    models: int
    safe_models: int
    sources: int
    # Model name -> its output columns, in order (what dbt would build).
    columns: dict[str, list[str]] = field(default_factory=dict)


def _staging(source: str, leaky: bool) -> str:
    email = "email" if leaky else "{{ pii_guard.hash_pii('email', normalize='email') }}"
    return f"""with source as (
    select * from {{{{ source('raw', '{source}') }}}}
),
renamed as (
    select
        id,
        {email} as email_hash,
        {{{{ pii_guard.mask_phone('phone') }}}} as phone_masked,
        {{{{ pii_guard.age_bucket('birth_date') }}}} as age_band,
        {{{{ pii_guard.generalize_zip('zip') }}}} as zip3,
        amount,
        created_at,
        status,
        {", ".join(ATTRIBUTES)}
    from source
    where id is not null
)
select * from renamed
"""


def _intermediate(shape: int, parents: list[str]) -> str:
    first, second = parents
    cols = ", ".join(COLUMNS)
    attributes = ", ".join(f"l.{a}" for a in ATTRIBUTES)
    if shape == 0:  # CTE chain
        return f"""with base as (
    select * from {{{{ ref('{first}') }}}}
),
filtered as (
    select {cols} from base where amount > 0 -- drop refunds
),
scored as (
    select id, email_hash, phone_masked, age_band, zip3, amount * 1.1 as amount, created_at, status,
        {", ".join(ATTRIBUTES)}
    from filtered
)
select * from scored
"""
    if shape == 1:  # join
        return f"""select
    l.id, l.email_hash, r.phone_masked, l.age_band, r.zip3, l.amount + r.amount as amount,
    l.created_at, coalesce(l.status, r.status) as status, {attributes}
from {{{{ ref('{first}') }}}} as l
left join {{{{ ref('{second}') }}}} as r on l.id = r.id and l.email_hash = r.email_hash
"""
    if shape == 2:  # union
        return f"""select {cols} from {{{{ ref('{first}') }}}}
union all
select {cols} from {{{{ ref('{second}') }}}}
"""
    if shape == 3:  # latest row per id: a star inside a subquery
        return f"""select {cols} from (
    select *, row_number() over (partition by id order by created_at desc) as rn
    from {{{{ ref('{first}') }}}}
) as ranked
where rn = 1
"""
    # ephemeral, inlined as a CTE wherever it is used
    return f"""{{{{ config(materialized='ephemeral') }}}}
select {cols} from {{{{ ref('{first}') }}}} where status <> 'test'
"""


def _safe_mart(parent: str, star: bool) -> str:
    if star:
        return f"select * from {{{{ ref('{parent}') }}}}\n"
    return f"""select age_band, zip3, status, count(*) as orders, count(distinct email_hash) as customers,
    sum(amount) as revenue
from {{{{ ref('{parent}') }}}}
group by age_band, zip3, status
"""


def generate(path: Path, models: int, seed: int = 7) -> Generated:
    """Write a dbt project with `models` models (plus sources) under `path`."""
    rng = random.Random(seed)
    sources = max(2, models // 40)
    (path / "models" / "staging").mkdir(parents=True, exist_ok=True)
    (path / "models" / "intermediate").mkdir(parents=True, exist_ok=True)
    (path / "models" / "marts").mkdir(parents=True, exist_ok=True)
    (path / "dbt_project.yml").write_text(
        "name: generated\nversion: '1.0'\nconfig-version: 2\nprofile: pii_guard_integration_tests\n"
        "flags: {send_anonymous_usage_stats: false, version_check: false}\n"
        "models:\n  generated:\n    +materialized: table\n"
        "    marts:\n      +meta: {privacy_tier: safe}\n"
    )
    (path / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    tables = "\n".join(
        f"      - name: raw_{i}\n        columns:\n"
        + "\n".join(f"          - name: {c}\n            data_type: {RAW_TYPE.lower()}\n"
                    f"            config: {{meta: {{pii: {str(p).lower()}}}}}"
                    for c, p in RAW_COLUMNS.items())
        for i in range(sources)
    )
    (path / "models" / "sources.yml").write_text(
        f"version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n{tables}\n"
    )
    names: list[str] = []
    columns: dict[str, list[str]] = {}
    for i in range(sources):
        name = f"stg_{i}"
        (path / "models" / "staging" / f"{name}.sql").write_text(_staging(f"raw_{i}", leaky=i % 7 == 3))
        names.append(name)
        columns[name] = COLUMNS
    safe = 0
    for k in range(models - sources):
        # Parents mostly from the last few dozen models: long chains and wide fan-in.
        window = names[-40:]
        parents = [rng.choice(window), rng.choice(names)]
        if k % 10 == 9:
            name = f"mart_{k}"
            star = k % 20 == 19
            (path / "models" / "marts" / f"{name}.sql").write_text(_safe_mart(parents[0], star=star))
            columns[name] = COLUMNS if star else MART_COLUMNS
            safe += 1
            continue  # marts are leaves
        name = f"int_{k}"
        (path / "models" / "intermediate" / f"{name}.sql").write_text(_intermediate(k % 5, parents))
        names.append(name)
        columns[name] = COLUMNS
    return Generated(path=path, models=models, safe_models=safe, sources=sources, columns=columns)


def write_catalog(path: Path, database: str, sources: int) -> Path:
    """A catalog.json holding the raw sources' columns (what `dbt docs generate`
    would write once they are loaded), so stars over them can be expanded."""
    import json

    entries = {
        f"source.generated.raw.raw_{i}": {
            "metadata": {"database": database, "schema": "raw", "name": f"raw_{i}", "type": "BASE TABLE"},
            "columns": {c: {"name": c, "type": RAW_TYPE, "index": n} for n, c in enumerate(RAW_COLUMNS, 1)},
        }
        for i in range(sources)
    }
    target = path / "target" / "catalog.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"nodes": {}, "sources": entries}))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--models", type=int, default=2000)
    args = parser.parse_args()
    result = generate(args.path, args.models)
    print(f"generated {result.models} models ({result.safe_models} safe) in {result.path}")


if __name__ == "__main__":
    main()
