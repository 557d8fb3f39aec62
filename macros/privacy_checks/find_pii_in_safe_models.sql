{#- Walks the project's graph and returns one finding per way PII reaches a
    safe model, as dicts with model, column_name, pii_source, pii_column,
    reason, status ('violation' or 'accepted') and note.

    PII columns start where they are declared (sources, seeds, models) and are
    carried down the DAG by name: a model passes on every upstream PII column
    its select lists name outside a protecting macro (and the alias it gives
    it), and every upstream PII column when it selects *. Safe models are then
    checked: their own PII declarations, the PII their select lists pass, the
    PII a * passes (against the columns the warehouse has for the built
    relation), direct dependencies on restricted models, and Python models
    with PII upstream (not analysable, so reported). A finding names the
    origin (pii_source, pii_column: where the PII was declared) and the
    output column it reaches (column_name), whatever CTEs renamed it between.
    A declaration no rule reads (declaration_problems) is a compile error
    naming every such node and column.

    only: the unique_id of one model: walk only its ancestors and report only
    its findings (the refuse_pii_in_safe_model pre-hook). output_columns: the
    columns that model's SQL produces now, read by the caller; a * is checked
    against them instead of the columns of the relation built last time. -#}
{% macro find_pii_in_safe_models(only=none, output_columns=none) -%}
  {%- set nodes = {} -%}
  {%- for uid, node in graph.nodes.items() if node.resource_type in ['model', 'snapshot', 'seed'] -%}
    {%- do nodes.update({uid: node}) -%}
  {%- endfor -%}
  {%- for uid, node in graph.sources.items() -%}
    {%- do nodes.update({uid: node}) -%}
  {%- endfor -%}
  {%- if only is not none -%}
    {#- Only the model and its ancestors. -#}
    {%- set wanted = {only: true} -%}
    {%- set stack = [only] -%}
    {%- for _ in range(nodes | length) if stack -%}
      {%- for parent in (nodes.get(stack.pop(), {}).get('depends_on') or {}).get('nodes') or [] if parent in nodes and parent not in wanted -%}
        {%- do wanted.update({parent: true}) -%}
        {%- do stack.append(parent) -%}
      {%- endfor -%}
    {%- endfor -%}
    {%- set kept = {} -%}
    {%- for uid in wanted -%}{%- do kept.update({uid: nodes[uid]}) -%}{%- endfor -%}
    {%- set nodes = kept -%}
  {%- endif -%}
  {%- set problems = pii_guard.declaration_problems(nodes) -%}
  {%- if problems -%}
    {%- set rules = pii_guard.declaration_rules() -%}
    {%- set spellings = [] -%}
    {%- for yes in rules.pii_true -%}{%- do spellings.append(yes ~ '/' ~ rules.pii_false[loop.index0]) -%}{%- endfor -%}
    {{ exceptions.raise_compiler_error('pii_guard: ' ~ problems | length ~ ' PII declaration(s) cannot be read: ' ~ problems | join('; ')
        ~ '. Write meta pii as one of ' ~ spellings | join(', ') ~ ' (or the pii tag), and privacy_tier as '
        ~ rules.tiers | join(' or ') ~ "; see docs/privacy-tests.md, 'Tiers and PII declarations'.") }}
  {%- endif -%}

  {#- Kahn's algorithm: parents before children, one pass. -#}
  {%- set children = {} -%}
  {%- set waiting = {} -%}
  {%- for uid, node in nodes.items() -%}
    {%- set parents = (node.get('depends_on') or {}).get('nodes') or [] -%}
    {%- do waiting.update({uid: 0}) -%}
    {%- for parent in parents | unique if parent in nodes -%}
      {%- do waiting.update({uid: waiting[uid] + 1}) -%}
      {%- do children.setdefault(parent, []).append(uid) -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- set order = [] -%}
  {%- for uid, count in waiting.items() if count == 0 -%}{%- do order.append(uid) -%}{%- endfor -%}
  {%- for uid in order -%}
    {%- for child in children.get(uid, []) -%}
      {%- do waiting.update({child: waiting[child] - 1}) -%}
      {%- if waiting[child] == 0 -%}{%- do order.append(child) -%}{%- endif -%}
    {%- endfor -%}
  {%- endfor -%}

  {%- set pii = {} -%}
  {%- set findings = [] -%}
  {%- for uid in order -%}
    {%- set node = nodes[uid] -%}
    {%- set safe = node.resource_type == 'model' and uid == (only or uid) and pii_guard.privacy_tier(node) == 'safe' -%}
    {%- set carried = {} -%}
    {%- for column in (node.get('columns') or {}).values() if pii_guard.is_pii_column(column) -%}
      {%- do carried.update({column.name | lower: [uid, column.name]}) -%}
      {%- if safe -%}
        {%- do findings.append({'model': uid, 'column_name': column.name, 'pii_source': uid, 'pii_column': column.name,
              'reason': 'a safe model declares this column PII'}) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- set upstream = {} -%}
    {%- for parent in (node.get('depends_on') or {}).get('nodes') or [] -%}
      {%- for name, origin in pii.get(parent, {}).items() -%}{%- do upstream.setdefault(name, origin) -%}{%- endfor -%}
      {%- if safe and parent in nodes and nodes[parent].resource_type == 'model' and pii_guard.privacy_tier(nodes[parent]) == 'restricted' -%}
        {%- do findings.append({'model': uid, 'column_name': none, 'pii_source': parent, 'pii_column': none,
              'reason': 'a safe model depends directly on a restricted model'}) -%}
      {%- endif -%}
    {%- endfor -%}

    {#- The SQL select_list_references reads: protected_select calls replaced
        by the columns they pass (none when a call cannot be read). -#}
    {%- set readable_sql = pii_guard.expand_protected_selects(node, nodes, pii)
          if upstream and node.resource_type not in ['source', 'seed'] and node.get('language') != 'python' else none -%}
    {%- if node.resource_type in ['source', 'seed'] or not upstream -%}
      {#- nothing flows in from upstream -#}
    {%- elif readable_sql is none -%}
      {#- Not analysable here: every upstream PII column is assumed to pass. -#}
      {%- set why = 'a Python model reads upstream PII and cannot be analysed' if node.get('language') == 'python'
            else 'pii_guard.protected_select is used in a form this test cannot read (write it inline, protected_select(source(...)) or protected_select(ref(...)), in {{ }})' -%}
      {%- do carried.update(upstream) -%}
      {%- for name, origin in upstream.items() if safe -%}
        {%- do findings.append({'model': uid, 'column_name': name, 'pii_source': origin[0], 'pii_column': origin[1],
              'reason': why ~ '; run pii-guard check'}) -%}
      {%- endfor -%}
    {%- else -%}
      {#- outputs: CTE name ('' for the final query) -> {column: origin};
          visible: every name a select list may use, upstream or aliased. -#}
      {%- set outputs = {} -%}
      {%- set visible = upstream.copy() -%}
      {%- set star_passed = {} -%}
      {%- for event in pii_guard.select_list_references(readable_sql, upstream.keys()) -%}
        {%- set scope_outputs = outputs.setdefault(event['scope'], {}) -%}
        {%- if event['kind'] == 'star' -%}
          {%- set passed = upstream if event['from'] == 'relation' else outputs.get(event['from'], visible) -%}
          {%- do scope_outputs.update(passed) -%}
          {%- if event['scope'] == '' -%}{%- do star_passed.update(passed) -%}{%- endif -%}
        {%- else -%}
          {%- for ref in event['refs'] | unique if ref in visible -%}
            {%- set output = event['alias'] or ref -%}
            {%- do scope_outputs.update({output: visible[ref]}) -%}
            {%- do visible.update({output: visible[ref]}) -%}
            {%- if safe and event['scope'] == '' -%}
              {%- do findings.append({'model': uid, 'column_name': output, 'pii_source': visible[ref][0], 'pii_column': visible[ref][1],
                    'reason': 'selects PII column ' ~ visible[ref][1] ~ ' of ' ~ visible[ref][0]
                      ~ (' as ' ~ output if output != visible[ref][1] | lower else '') ~ ' without a pii_guard protecting macro'}) -%}
            {%- endif -%}
          {%- endfor -%}
        {%- endif -%}
      {%- endfor -%}
      {%- do carried.update(outputs.get('', {})) -%}
      {%- if safe and star_passed -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)
              if output_columns is none and node.config.materialized != 'ephemeral' else none -%}
        {%- set built = relation is not none or output_columns is not none -%}
        {%- set columns = (output_columns if output_columns is not none
              else adapter.get_columns_in_relation(relation) | map(attribute='name') | list if built
              else star_passed.keys()) | map('lower') | list -%}
        {%- for name in columns if name in star_passed -%}
          {%- do findings.append({'model': uid, 'column_name': name, 'pii_source': star_passed[name][0], 'pii_column': star_passed[name][1],
                'reason': 'select * passes PII column ' ~ star_passed[name][1] ~ ' of ' ~ star_passed[name][0]
                  ~ (' as ' ~ name if name != star_passed[name][1] | lower else '')
                  ~ ('' if built else ' (relation not built: every upstream PII column is assumed to pass)')}) -%}
        {%- endfor -%}
      {%- endif -%}
    {%- endif -%}
    {%- do pii.update({uid: carried}) -%}
  {%- endfor -%}
  {#- One row per (model, column, origin): a CTE and the final select naming the
      same column are one finding. -#}
  {%- set seen = {} -%}
  {%- set unique_findings = [] -%}
  {%- for finding in findings -%}
    {%- set key = [finding.model, finding.column_name, finding.pii_source, finding.pii_column] | join('|') -%}
    {%- if key not in seen -%}
      {%- do seen.update({key: true}) -%}
      {%- do unique_findings.append(finding) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(pii_guard.apply_pii_allowances(unique_findings)) }}
{%- endmacro %}
