-- Nothing hand-written: every column of raw_events, protected as its
-- declaration in _sources.yml says (docs/macros.md, 'Policies in yml').
select {{ pii_guard.protected_select(source('raw', 'raw_events')) }}
from {{ source('raw', 'raw_events') }}
