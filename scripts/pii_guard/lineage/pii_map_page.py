"""The PII map as one self-contained HTML page: the map's data embedded as
JSON, drawn by a small inline script. No network: no external script, style
or font, and a Content-Security-Policy that allows only the page's own
inline script and style (by hash), so nothing else can load either.

Every name reaches the page as JSON data (with `<`, `>` and `&` escaped, so
no name can close the script element) and is shown with textContent: a model
or column name holding markup stays text.

>>> from pii_guard.lineage.pii_map import Origin, PiiMap
>>> page = as_html(PiiMap([Origin("seed.p.t.</script><b>", "seed.p.t", "</script><b>", "seed")]), "p")
>>> "</script><b>" in page, "seed.p.t.\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e" in page
(False, True)
"""

from __future__ import annotations

import base64
import hashlib
import json

from pii_guard.lineage.pii_map import PiiMap

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
header{background:#1d2330;color:#fff;padding:14px 24px}
header h1{margin:0 0 4px;font-size:20px}
#stats{display:flex;gap:18px;flex-wrap:wrap}
#stats span b{font-size:18px;margin-right:4px}
#controls{position:sticky;top:0;background:#fff;border-bottom:1px solid #d8dce3;padding:10px 24px;
  display:flex;gap:14px;flex-wrap:wrap;align-items:center;z-index:1}
#controls input[type=search]{width:260px;padding:4px 6px}
main{padding:12px 24px}
details.group{background:#fff;border:1px solid #d8dce3;border-radius:6px;margin:6px 0}
details.group>summary{cursor:pointer;padding:6px 10px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
details.group>summary .name{font-weight:600;font-family:ui-monospace,monospace}
.verdict{color:#556}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-top:1px solid #eceef2;vertical-align:top}
th{background:#f2f4f7;font-weight:600}
code,.hop{font-family:ui-monospace,monospace;font-size:12px}
.badge{display:inline-block;white-space:nowrap;border-radius:9px;padding:0 7px;font-size:12px;font-weight:600}
.s-leak{background:#fde2e1;color:#a4161a}.s-unresolved{background:#fff0c2;color:#7a5300}
.s-accepted{background:#e7e3f8;color:#4b3a99}.s-pii{background:#ffe4cc;color:#8a4100}
.s-protected{background:#dcf3e3;color:#1e6b3a}.s-clean{background:#eceef2;color:#556}
.tier{font-size:12px;color:#556;border:1px solid #c4c9d2;border-radius:4px;padding:0 4px}
.arrow{color:#778;margin:0 4px;font-size:11px}
.empty{color:#556;padding:8px 10px}
.more{color:#556;padding:6px 10px}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pii-map-data").textContent);
  var STATUSES = ["leak", "unresolved", "accepted", "pii", "protected"];
  var LABELS = {leak: "leak", unresolved: "unresolved", accepted: "accepted", pii: "carries PII",
                protected: "protected", clean: "clean"};
  var ROWS_PER_GROUP = 400;
  var rows = [];
  data.models.forEach(function (model) {
    model.columns.forEach(function (column) {
      column.flows.forEach(function (flow) {
        rows.push({model: model, column: column.name, flow: flow,
                   text: [model.id, column.name, flow.origin, flow.protected_by || "",
                          flow.protected_at || ""].join(" ").toLowerCase()});
      });
    });
  });
  var origins = {};
  data.origins.forEach(function (origin) { origins[origin.id] = origin; });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function badge(status) { return el("span", "badge s-" + status, LABELS[status] || status); }
  function byId(id) { return document.getElementById(id); }

  var stats = byId("stats");
  [["pii-count", data.stats.pii_columns, "declared PII columns"],
   ["model-count", data.stats.models, "models"], ["safe-count", data.stats.safe_models, "safe models"],
   ["leak-count", data.stats.leak_flows, "leaks"], ["protected-count", data.stats.protected_flows, "protected flows"],
   ["unresolved-count", data.stats.unresolved_models, "unresolved models"]].forEach(function (item) {
    var span = el("span"); var number = el("b", null, item[1]); number.id = item[0];
    span.appendChild(number); span.appendChild(document.createTextNode(item[2])); stats.appendChild(span);
  });
  var tiers = {};
  data.models.forEach(function (model) { tiers[model.tier] = true; });
  Object.keys(tiers).sort().forEach(function (tier) {
    var option = el("option", null, tier); option.value = tier; byId("tier").appendChild(option);
  });

  function matches(row, tier, status, query) {
    return (tier === "all" || row.model.tier === tier) && (status === "all" || row.flow.status === status)
      && (!query || row.text.indexOf(query) >= 0);
  }

  function verdict(model) {
    if (model.reason) return model.reason;
    if (model.tier !== "safe") return "";
    if (model.status === "leak") return "receives PII: leaks";
    if (model.status === "protected") return "receives only protected derivatives";
    return "";
  }

  function groupKey(row, by) {
    if (by === "model") return row.model.id;
    if (by === "tier") return row.model.tier;
    return row.flow.origin;
  }

  function pathCell(flow) {
    var td = el("td");
    flow.path.forEach(function (hop, i) {
      if (i > 0) td.appendChild(el("span", "arrow", " \u2192 " + flow.transforms[i - 1] + " \u2192 "));
      td.appendChild(el("span", "hop", hop));
    });
    return td;
  }

  function rowElement(row) {
    var flow = row.flow, tr = el("tr", "flow");
    tr.dataset.model = row.model.id; tr.dataset.column = row.column;
    tr.dataset.status = flow.status; tr.dataset.origin = flow.origin;
    var model = el("td"); model.appendChild(el("code", null, row.model.name));
    model.appendChild(document.createTextNode(" ")); model.appendChild(el("span", "tier", row.model.tier));
    tr.appendChild(model);
    tr.appendChild(el("td", "column", row.column));
    var status = el("td"); status.appendChild(badge(flow.status)); tr.appendChild(status);
    tr.appendChild(el("td", "origin", flow.origin));
    var how = flow.protected_by ? flow.protected_by + " at " + flow.protected_at : (flow.note || "");
    tr.appendChild(el("td", "how", how));
    tr.appendChild(pathCell(flow));
    return tr;
  }

  function fillGroup(details) {
    if (details.dataset.filled) return;
    details.dataset.filled = "1";
    var members = details._rows, table = el("table"), head = el("tr");
    ["model", "column", "status", "origin", "protected by / why", "path"].forEach(function (name) {
      head.appendChild(el("th", null, name));
    });
    table.appendChild(head);
    if (!members.length) details.appendChild(el("div", "empty", "no model column derives from it"));
    members.slice(0, ROWS_PER_GROUP).forEach(function (row) { table.appendChild(rowElement(row)); });
    if (members.length) details.appendChild(table);
    if (members.length > ROWS_PER_GROUP) {
      details.appendChild(el("div", "more", (members.length - ROWS_PER_GROUP) +
        " more: narrow with the search box or the filters"));
    }
  }

  function summaryOf(key, members, by) {
    var summary = el("summary");
    var model = by === "model" && members.length ? members[0].model : null;
    var label = model ? model.name : key;
    summary.appendChild(el("span", "name", label));
    if (model) summary.appendChild(el("span", "tier", model.tier));
    if (by === "origin" && origins[key]) summary.appendChild(el("span", "tier", origins[key].resource_type));
    var counts = {};
    members.forEach(function (row) { counts[row.flow.status] = (counts[row.flow.status] || 0) + 1; });
    STATUSES.forEach(function (status) {
      if (counts[status]) {
        var b = badge(status); b.textContent = counts[status] + " " + LABELS[status]; summary.appendChild(b);
      }
    });
    summary.appendChild(el("span", "count", members.length + " flows"));
    if (model) summary.appendChild(el("span", "verdict", verdict(model)));
    return summary;
  }

  function render() {
    var by = byId("group").value, tier = byId("tier").value, status = byId("status").value;
    var query = byId("search").value.trim().toLowerCase();
    var groups = new Map();
    if (by === "origin" && tier === "all" && status === "all") {
      data.origins.forEach(function (origin) {
        if (!query || origin.id.toLowerCase().indexOf(query) >= 0) groups.set(origin.id, []);
      });
    }
    var shown = 0;
    rows.forEach(function (row) {
      if (!matches(row, tier, status, query)) return;
      var key = groupKey(row, by);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(row);
      shown += 1;
    });
    var main = byId("groups"), fragment = document.createDocumentFragment();
    main.textContent = "";
    // Declared PII first; what unanalysable models yield ('<model>.*') after.
    var keys = Array.from(groups.keys()).sort(function (a, b) {
      var unknownA = /\.\*$/.test(a), unknownB = /\.\*$/.test(b);
      return unknownA !== unknownB ? (unknownA ? 1 : -1) : (a < b ? -1 : a > b ? 1 : 0);
    });
    keys.forEach(function (key, index) {
      var details = el("details", "group");
      details.dataset.key = key;
      details._rows = groups.get(key);
      details.appendChild(summaryOf(key, details._rows, by));
      details.addEventListener("toggle", function () { if (details.open) fillGroup(details); });
      // A search opens its first matches; otherwise every group starts closed.
      if ((query && index < 20) || keys.length === 1) { details.open = true; fillGroup(details); }
      fragment.appendChild(details);
    });
    main.appendChild(fragment);
    main.dataset.query = query;
    byId("shown").textContent = shown + " of " + rows.length + " flows, in " + keys.length + " groups";
  }

  function setAll(open) {
    document.querySelectorAll("details.group").forEach(function (details) {
      details.open = open; if (open) fillGroup(details);
    });
  }

  ["group", "tier", "status"].forEach(function (id) { byId(id).addEventListener("change", render); });
  var timer = null;
  byId("search").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(render, 120); });
  byId("expand").addEventListener("click", function () { setAll(true); });
  byId("collapse").addEventListener("click", function () { setAll(false); });
  render();
  document.body.dataset.ready = "1";
})();
"""

BODY = """<header><h1>PII map{title}</h1><div id="stats"></div></header>
<div id="controls">
<label>Group by <select id="group"><option value="origin">PII column (origin)</option>
<option value="model">model</option><option value="tier">tier</option></select></label>
<label>Tier <select id="tier"><option value="all">all</option></select></label>
<label>Status <select id="status"><option value="all">all</option><option value="leak">leak</option>
<option value="unresolved">unresolved</option><option value="accepted">accepted</option>
<option value="pii">carries PII (not safe)</option><option value="protected">protected</option></select></label>
<input type="search" id="search" placeholder="search model, column, origin, macro" aria-label="search">
<button type="button" id="expand">expand all</button><button type="button" id="collapse">collapse all</button>
<span id="shown"></span>
</div>
<main id="groups"></main>"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _embedded_json(value: object) -> str:
    """JSON that cannot end the script element holding it, nor start a comment in it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def as_html(pii_map: PiiMap, project_name: str = "") -> str:
    """The whole page, one string."""
    from html import escape

    policy = (f"default-src 'none'; script-src {_csp_hash(SCRIPT)}; style-src {_csp_hash(STYLE)}; "
              "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")
    title = f": {escape(project_name)}" if project_name else ""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>PII map{title}</title><style>{STYLE}</style></head><body>\n"
        + BODY.format(title=title)
        + f"\n<script type=\"application/json\" id=\"pii-map-data\">{_embedded_json(pii_map.as_dict())}</script>"
        + f"\n<script>{SCRIPT}</script>\n</body></html>\n"
    )
