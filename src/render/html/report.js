// rdsiam HTML report: builds the page from the JSON in #report-data. No network access.
// State lives in the URL fragment (#severity=high&rule=...&account=...&db=...&q=...&open=all)
// so a filtered view can be bookmarked, shared, and opened by tests.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var SEV = D.severities;
  var PAGE = 100, DB_PAGE = 100, LAYER_MAX = 150;
  // Findings and the matrix are gzip'd JSON in base64 (src/render/html/blob.rs), inflated by
  // the browser itself: the HTML parser reads a 13x smaller file.
  function inflate(id) {
    var text = document.getElementById(id).textContent, bytes;
    if (Uint8Array.fromBase64) bytes = Uint8Array.fromBase64(text);
    else {
      var bin = atob(text);
      bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  var detailsData = null;
  function details() { return detailsData || (detailsData = inflate("report-details")); }
  if (typeof DecompressionStream === "undefined") {
    document.getElementById("app").textContent = "This browser cannot inflate the report's embedded data " +
      "(DecompressionStream: Chrome 80, Firefox 113, Safari 16.4 or later); use rdsiam audit --format markdown.";
    return;
  }
  inflate("report-main").then(build, function (e) {
    document.getElementById("app").textContent = "The report's data could not be read: " + e;
  });
  function build(M) {
  var S = M.strings;
  function str(i) { return i === null || i === undefined ? "" : S[i]; }
  function accountOf(arn) { var p = arn.split(":"); return p.length > 4 ? p[4] : ""; }
  function shortName(arn) { var p = arn.split(/[:/]/); return p[p.length - 1]; }
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  var SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  var F = M.findings.map(function (r, i) {
    return { i: i, sev: SEV[r[0]], rule: S[r[1]], title: S[r[2]], arn: S[r[3]], kind: S[r[4]],
      account: str(r[5]), region: str(r[6]), user: str(r[7]), message: r[8], fix: S[r[9]] };
  });
  var A = M.access.map(function (r) {
    return { pi: r[0], di: r[1], vi: r[5], principal: S[r[0]], db: S[r[1]], user: S[r[2]], verdict: r[3], reason: M.reasons[r[4]],
      via: r[5].map(function (v) { return S[v]; }), superuser: !!r[6], external: !!r[7] };
  });
  var inScope = {};
  D.scope.accounts.forEach(function (a) { inScope[a] = true; });

  // ---- URL state ----
  var state = { severity: "", rule: "", account: "", db: "", q: "", open: "" };
  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ""));
    for (var k in state) state[k] = p.get(k) || "";
  }
  function writeHash() {
    var p = new URLSearchParams();
    for (var k in state) if (state[k]) p.set(k, state[k]);
    history.replaceState(null, "", "#" + p.toString());
  }
  readHash();

  var app = document.getElementById("app");

  // ---- Scope, evaluation context, coverage ----
  var sc = D.scope;
  app.appendChild(el("h1", null, "rdsiam audit"));
  app.appendChild(el("div", { cls: "scope muted" },
    el("span", null, "Snapshot: ", el("code", null, sc.snapshot || "live inventory")),
    el("span", null, "Collected " + sc.collected_at),
    el("span", null, "Evaluated " + D.generated_at + " by rdsiam " + D.tool_version),
    sc.organization_id ? el("span", null, "Organization " + sc.organization_id) : null,
    el("span", { id: "scope-counts" }, sc.accounts.length + " account(s), " + sc.regions.length +
      " region(s) (" + sc.regions.join(", ") + "), " + sc.databases + " database(s)")));

  function place(a, r) { var p = [a, r].filter(Boolean).join(" "); return p || "organization"; }
  function grouped(items, keyOf) {
    var groups = {}, order = [];
    items.forEach(function (it) {
      var k = keyOf(it);
      if (!groups[k]) { groups[k] = []; order.push(k); }
      groups[k].push(it);
    });
    return order.map(function (k) { return [k, groups[k]]; });
  }
  function placeList(list) {
    var shown = list.slice(0, 12).join(", ");
    return list.length > 12 ? shown + " … and " + (list.length - 12) + " more" : shown;
  }
  if (D.coverage.length || D.not_evaluated.length) {
    var box = el("div", { cls: "gaps", id: "coverage" },
      el("b", null, "Coverage: " + D.coverage.length + " gap(s), " + D.not_evaluated.length +
        " rule evaluation(s) skipped. \u201cNo finding\u201d there is not \u201cchecked and fine\u201d."));
    var ul = el("ul");
    grouped(D.coverage, function (g) { return g.source + " " + g.error_code + " " + (g.fix_permission || ""); })
      .forEach(function (pair) {
        var g = pair[1][0];
        ul.appendChild(el("li", { cls: "gap" }, el("code", null, g.source), " " + g.error_code +
          (g.fix_permission ? " (needs " : ""), g.fix_permission ? el("code", null, g.fix_permission) : null,
          g.fix_permission ? ")" : "", " in " + pair[1].length + ": " +
          placeList(pair[1].map(function (x) { return place(x.account, x.region); })),
          el("div", { cls: "muted" }, g.message)));
      });
    grouped(D.not_evaluated, function (n) { return n.reason; }).forEach(function (pair) {
      var rules = [];
      pair[1].forEach(function (n) { if (rules.indexOf(n.rule) < 0) rules.push(n.rule); });
      ul.appendChild(el("li", { cls: "not-evaluated" }, "Not evaluated: " + rules.join(", ") +
        " (" + pair[0] + ") in " + pair[1].length + ": " +
        placeList(pair[1].map(function (x) { return place(x.account, x.region); }))));
    });
    box.appendChild(ul);
    app.appendChild(box);
  }

  // ---- Summary ----
  app.appendChild(el("h2", null, "Summary"));
  var cards = el("div", { cls: "cards", id: "severity-cards" });
  SEV.forEach(function (s) {
    cards.appendChild(el("div", { cls: "card " + s, "data-severity": s, onclick: function () {
      state.severity = state.severity === s ? "" : s; sync(); } },
      el("b", null, String(D.summary[s])), s));
  });
  app.appendChild(cards);
  function countBy(keyOf) {
    var m = {};
    F.forEach(function (f) { var k = keyOf(f); m[k] = (m[k] || 0) + 1; });
    return Object.keys(m).map(function (k) { return [k, m[k]]; })
      .sort(function (a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : 1); });
  }
  var ruleSev = {};
  F.forEach(function (f) { if (!ruleSev[f.rule]) ruleSev[f.rule] = f.sev; });
  function summaryTable(title, rows, key, withSev) {
    var t = el("table", { cls: "summary-" + key },
      el("thead", null, el("tr", null, withSev ? el("th", null, "Severity") : null, el("th", null, title),
        el("th", { cls: "num" }, "Findings"))));
    var tb = el("tbody");
    rows.slice(0, 25).forEach(function (r) {
      tb.appendChild(el("tr", null, withSev ? el("td", null, el("span", { cls: "sev " + ruleSev[r[0]] }, ruleSev[r[0]])) : null,
        el("td", null, el("a", { href: "#", onclick: function (ev) { ev.preventDefault(); state[key] = r[0]; sync(); } }, r[0] || "(none)")),
        el("td", { cls: "num" }, String(r[1]))));
    });
    t.appendChild(tb);
    var wrap = el("div", null, t);
    if (rows.length > 25) wrap.appendChild(el("div", { cls: "muted" }, "… and " + (rows.length - 25) + " more (use the filters)"));
    return wrap;
  }
  var byRule = countBy(function (f) { return f.rule; })
    .sort(function (a, b) { return SEV.indexOf(ruleSev[a[0]]) - SEV.indexOf(ruleSev[b[0]]) || b[1] - a[1]; });
  app.appendChild(el("div", { cls: "cols" },
    summaryTable("Rule", byRule, "rule", true),
    summaryTable("Account", countBy(function (f) { return f.account; }), "account", false)));

  // ---- Findings ----
  app.appendChild(el("h2", { id: "findings-heading" }, "Findings"));
  var dbs = {};
  A.forEach(function (a) { dbs[a.db] = true; });
  F.forEach(function (f) { if (/^db-/.test(f.kind)) dbs[f.arn] = true; });
  var dbList = Object.keys(dbs).sort();
  function select(key, label, values) {
    var s = el("select", { id: "filter-" + key, "aria-label": label, onchange: function () { state[key] = s.value; sync(); } },
      el("option", { value: "" }, "All " + label));
    values.forEach(function (v) { s.appendChild(el("option", { value: v }, key === "db" ? shortName(v) + " (" + accountOf(v) + ")" : v)); });
    return s;
  }
  var search = el("input", { id: "filter-q", type: "search", placeholder: "Search rule, ARN, user, message…",
    oninput: function () { state.q = search.value; sync(); } });
  var filters = el("div", { cls: "filters" }, search,
    select("severity", "severities", SEV),
    select("rule", "rules", byRule.map(function (r) { return r[0]; })),
    select("account", "accounts", countBy(function (f) { return f.account; }).map(function (r) { return r[0]; }).filter(Boolean).sort()),
    select("db", "databases", dbList),
    el("button", { onclick: function () { for (var k in state) if (k !== "open") state[k] = ""; sync(); } }, "Clear"),
    el("span", { id: "shown-count", cls: "muted" }));
  app.appendChild(filters);
  var tbody = el("tbody", { id: "finding-rows" });
  app.appendChild(el("table", { id: "findings" }, el("thead", null, el("tr", null,
    el("th", null, "Severity"), el("th", null, "Rule"), el("th", null, "Resource"), el("th", null, "DB user"),
    el("th", null, "Finding"))), tbody));
  var moreButton = el("button", { cls: "more", id: "show-more", onclick: function () { shown += PAGE; drawRows(); } }, "Show more");
  app.appendChild(moreButton);

  function copyButton(text) {
    return el("button", { cls: "copy", title: "Copy", onclick: function (ev) {
      ev.stopPropagation();
      var done = function () { ev.target.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, fallback);
      else fallback();
      function fallback() {
        var t = el("textarea"); t.value = text; document.body.appendChild(t); t.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selectable */ }
        document.body.removeChild(t);
      }
    } }, "Copy");
  }
  // The evidence, commands and fingerprint of a finding, from the details part.
  function detailRow(f, X) {
    var x = X.details[f.i], XS = X.strings;
    f = { title: f.title, arn: f.arn, fix: f.fix, fp: x[3], cli: x[0] === null ? null : XS[x[0]],
      sql: x[1] === null ? null : XS[x[1]], evidence: x[2].map(function (e) { return [XS[e[0]], XS[e[1]], XS[e[2]]]; }) };
    var ev = el("table", { cls: "evidence" }, el("thead", null, el("tr", null, el("th", null, "Source"),
      el("th", null, "Observed"), el("th", null, "Expected"))));
    var eb = el("tbody");
    f.evidence.forEach(function (e) { eb.appendChild(el("tr", null, el("td", null, el("code", null, e[0])), el("td", null, e[1]), el("td", null, e[2]))); });
    ev.appendChild(eb);
    var cell = el("td", { colspan: "5" }, el("div", null, el("b", null, f.title), " ",
      el("span", { cls: "muted" }, "fingerprint " + f.fp)), el("div", { cls: "arn" }, el("code", null, f.arn)), ev);
    if (f.fix) cell.appendChild(el("p", null, el("b", null, "Fix: "), f.fix));
    if (f.cli) cell.appendChild(el("pre", { cls: "fix-cli" }, copyButton(f.cli), el("code", null, f.cli)));
    if (f.sql) cell.appendChild(el("pre", { cls: "fix-sql" }, copyButton(f.sql), el("code", null, f.sql)));
    return el("tr", { cls: "detail" }, cell);
  }
  function matches(f) {
    if (state.severity && f.sev !== state.severity) return false;
    if (state.rule && f.rule !== state.rule) return false;
    if (state.account && f.account !== state.account) return false;
    if (state.db && f.arn !== state.db) return false;
    if (state.q) {
      var q = state.q.toLowerCase();
      if ((f.rule + " " + f.arn + " " + f.user + " " + f.message + " " + f.title).toLowerCase().indexOf(q) < 0) return false;
    }
    return true;
  }
  var visible = [], shown = PAGE;
  function drawRows() {
    tbody.textContent = "";
    visible.slice(0, shown).forEach(function (f) {
      var detail = null;
      var row = el("tr", { cls: "finding", "data-severity": f.sev, "data-rule": f.rule, onclick: function () {
        if (detail) { tbody.removeChild(detail); detail = null; return; }
        var mine = detail = el("tr", { cls: "detail" }, el("td", { colspan: "5", cls: "muted" }, "Loading\u2026"));
        row.after(mine);
        details().then(function (X) {
          if (detail !== mine) return;
          detail = detailRow(f, X);
          mine.replaceWith(detail);
        });
      } }, el("td", null, el("span", { cls: "sev " + f.sev }, f.sev)), el("td", null, el("code", null, f.rule)),
        el("td", { cls: "arn" }, f.kind + " ", el("code", { title: f.arn }, f.arn)), el("td", null, f.user),
        el("td", null, f.message, el("div", { cls: "muted" }, "fix: " + f.fix)));
      tbody.appendChild(row);
    });
    document.getElementById("shown-count").textContent = "Showing " + Math.min(shown, visible.length) + " of " +
      visible.length + " matching (" + F.length + " findings in total)";
    moreButton.style.display = visible.length > shown ? "" : "none";
  }
  function sync() {
    writeHash();
    search.value = state.q;
    ["severity", "rule", "account", "db"].forEach(function (k) { document.getElementById("filter-" + k).value = state[k]; });
    visible = F.filter(matches);
    shown = PAGE;
    drawRows();
  }

  // ---- Access graph ----
  app.appendChild(el("h2", { id: "graph-heading" }, "Access graph"));
  app.appendChild(el("p", { cls: "legend muted" },
    "Principals (external and cross-account first) \u2192 roles \u2192 DB users \u2192 database. Hover an edge for the reason. ",
    el("span", null, el("i", { style: "background:var(--works)" }), "works"),
    el("span", null, el("i", { style: "background:var(--depends)" }), "depends"),
    el("span", null, el("i", { style: "background:var(--blocked)" }), "blocked"),
    el("span", null, el("i", { style: "background:#868e96" }), "unknown"),
    el("span", null, el("span", { cls: "badge external" }, "external"), " outside the audited accounts"),
    el("span", null, el("span", { cls: "badge cross" }, "cross-account")),
    el("span", null, el("span", { cls: "badge superuser" }, "superuser-like"))));
  var byDb = {};
  A.forEach(function (a) { (byDb[a.db] = byDb[a.db] || []).push(a); });
  function reach(arn, db) {
    var acct = accountOf(arn);
    if (acct && !inScope[acct]) return 2; // external
    if (acct && acct !== accountOf(db)) return 1; // cross-account
    return 0;
  }
  // The same by string index, each ARN's account read once (94,000 paths share ~40,000 ARNs).
  var ACC = [];
  function acctOf(i) { var a = ACC[i]; if (a === undefined) a = ACC[i] = accountOf(S[i]); return a; }
  function reachIdx(i, dbi) {
    var acct = acctOf(i);
    if (acct && !inScope[acct]) return 2;
    if (acct && acct !== acctOf(dbi)) return 1;
    return 0;
  }
  var RANK = { works: 0, depends: 1, unknown: 2, blocked: 3 };
  // The graph of one database: nodes per layer and unique edges. Layer 0: principals that
  // reach a role by assuming it (or IAM users); 1: roles that connect; 2: DB users; 3: the DB.
  function graphOf(db) {
    var nodes = {}, edges = {}, layers = [[], [], [], []];
    function node(layer, id, label, cls) {
      var k = layer + "|" + id;
      if (!nodes[k]) { nodes[k] = { layer: layer, id: id, label: label, cls: cls || "", key: k, score: 0 }; layers[layer].push(nodes[k]); }
      return nodes[k];
    }
    function edge(a, b, verdict, reason) {
      var k = a.key + ">" + b.key;
      var e = edges[k];
      if (!e) edges[k] = e = { from: a, to: b, verdict: verdict, reasons: [] };
      else if (verdict && (!e.verdict || RANK[verdict] < RANK[e.verdict])) e.verdict = verdict;
      if (reason && e.reasons.indexOf(reason) < 0 && e.reasons.length < 8) e.reasons.push(reason);
    }
    var dbNode = node(3, db, shortName(db), "database");
    (byDb[db] || []).forEach(function (a) {
      var chain = [a.principal].concat(a.via);
      var first = /:role\//.test(a.principal) && a.via.length === 0 ? 1 : 0;
      var prev = null;
      chain.forEach(function (arn, i) {
        var layer = i === 0 ? first : 1;
        var r = i === 0 && a.external ? 2 : reach(arn, db);
        var n = node(layer, arn, shortName(arn), r === 2 ? "external" : r === 1 ? "cross" : "");
        n.score = Math.max(n.score, r);
        if (prev) edge(prev, n, null, "assumes " + shortName(arn));
        prev = n;
      });
      var user = node(2, a.user, a.user, a.superuser ? "superuser" : "");
      edge(prev, user, a.verdict, shortName(a.principal) + " as " + a.user + ": " + a.reason);
      edge(user, dbNode, null, a.user + " on " + shortName(db));
    });
    layers.forEach(function (l) { l.sort(function (x, y) { return y.score - x.score || (x.label < y.label ? -1 : 1); }); });
    // Beyond LAYER_MAX boxes a column is no longer readable: keep the first (external and
    // cross-account first) and say how many were left out.
    var hidden = 0;
    layers.forEach(function (l, li) {
      if (l.length <= LAYER_MAX) return;
      l.slice(LAYER_MAX).forEach(function (n) { delete nodes[n.key]; hidden++; });
      layers[li] = l.slice(0, LAYER_MAX);
    });
    if (hidden) Object.keys(edges).forEach(function (k) {
      if (!nodes[edges[k].from.key] || !nodes[edges[k].to.key]) delete edges[k];
    });
    return { nodes: nodes, edges: edges, layers: layers, hidden: hidden };
  }
  function drawGraph(db, holder) {
    var g = graphOf(db);
    var X = [10, 280, 550, 820], W = 240, H = 20, GAP = 26, TOP = 24;
    var rows = Math.max.apply(null, g.layers.map(function (l) { return l.length; }));
    var height = TOP + rows * GAP + 10;
    var root = svg("svg", { "class": "graph", viewBox: "0 0 1070 " + height, width: 1070, height: height, "data-db": db });
    ["Principals", "Roles", "DB users", "Database"].forEach(function (t, i) {
      var tx = svg("text", { "class": "layer", x: X[i], y: 14 }); tx.textContent = t; root.appendChild(tx);
    });
    g.layers.forEach(function (l, li) {
      l.forEach(function (n, ri) { n.x = X[li]; n.y = TOP + ri * GAP; });
    });
    var edgeGroup = svg("g", { "class": "edges" });
    root.appendChild(edgeGroup);
    Object.keys(g.edges).forEach(function (k) {
      var e = g.edges[k];
      var x1 = e.from.x + W, y1 = e.from.y + H / 2, x2 = e.to.x, y2 = e.to.y + H / 2, mx = (x1 + x2) / 2;
      var p = svg("path", { "class": "edge " + (e.verdict || "link"), d: "M" + x1 + " " + y1 + " C" + mx + " " + y1 + " " + mx + " " + y2 + " " + x2 + " " + y2 });
      var t = svg("title", {}); t.textContent = (e.verdict ? e.verdict + ": " : "") + e.reasons.join("\n"); p.appendChild(t);
      edgeGroup.appendChild(p);
    });
    Object.keys(g.nodes).forEach(function (k) {
      var n = g.nodes[k];
      var grp = svg("g", { "class": "node layer-" + n.layer + (n.cls ? " " + n.cls : ""), transform: "translate(" + n.x + "," + n.y + ")" });
      grp.appendChild(svg("rect", { width: W, height: H, rx: 4 }));
      var label = n.label.length > 34 ? n.label.slice(0, 33) + "\u2026" : n.label;
      var tx = svg("text", { x: 6, y: 14 }); tx.textContent = label; grp.appendChild(tx);
      var t = svg("title", {}); t.textContent = n.id + (n.cls ? " (" + n.cls + ")" : ""); grp.appendChild(t);
      root.appendChild(grp);
    });
    holder.appendChild(root);
    if (g.hidden) holder.appendChild(el("p", { cls: "muted graph-cut" }, g.hidden + " node(s) left out: at most " + LAYER_MAX +
      " per column are drawn (external and cross-account first); the access matrix (rdsiam audit --matrix) lists them all."));
  }
  var graphList = el("div", { id: "graphs" });
  var dbOrder = Object.keys(byDb).map(function (db) {
    var ext = 0, cross = 0, works = 0, principals = {};
    byDb[db].forEach(function (a) {
      var r = a.external ? 2 : reachIdx(a.pi, a.di);
      for (var v = 0; v < a.vi.length && r < 2; v++) r = Math.max(r, reachIdx(a.vi[v], a.di));
      if (r === 2) ext++; else if (r === 1) cross++;
      if (a.verdict === "works") works++;
      principals[a.principal] = true;
    });
    return { db: db, ext: ext, cross: cross, works: works, principals: Object.keys(principals).length };
  }).sort(function (a, b) { return b.ext - a.ext || b.cross - a.cross || (a.db < b.db ? -1 : 1); });
  var sections = {}, sectionsShown = 0;
  var moreDbs = el("button", { cls: "more", id: "show-more-dbs", onclick: function () { showSections(sectionsShown + DB_PAGE); } });
  // Database sections are built a page at a time (an organization has thousands).
  function showSections(upTo) {
    upTo = Math.min(upTo, dbOrder.length);
    for (; sectionsShown < upTo; sectionsShown++) section(dbOrder[sectionsShown]);
    moreDbs.textContent = "Show more databases (" + (dbOrder.length - sectionsShown) + " more)";
    moreDbs.style.display = sectionsShown < dbOrder.length ? "" : "none";
  }
  function section(d) {
    var holder = el("div");
    var det = el("details", { cls: "db", "data-db": d.db },
      el("summary", null, el("b", null, shortName(d.db)), " ", el("span", { cls: "muted" }, accountOf(d.db) + " \u00b7 " +
        d.principals + " principal(s), " + byDb[d.db].length + " path(s), " + d.works + " work"),
        d.ext ? el("span", { cls: "badge external" }, d.ext + " external") : null,
        d.cross ? el("span", { cls: "badge cross" }, d.cross + " cross-account") : null), holder);
    det.addEventListener("toggle", function () {
      if (det.open && !holder.firstChild) drawGraph(d.db, holder);
    });
    sections[d.db] = det;
    graphList.appendChild(det);
  }
  if (!dbOrder.length) graphList.appendChild(el("p", { cls: "muted" }, "No access-matrix entries in this report."));
  app.appendChild(graphList);
  app.appendChild(moreDbs);
  showSections(DB_PAGE);
  function openSections() {
    if (state.open === "all") {
      showSections(dbOrder.length);
      dbOrder.forEach(function (d) { sections[d.db].open = true; });
    } else if (state.open) {
      for (var i = 0; i < dbOrder.length; i++) if (dbOrder[i].db === state.open) { showSections(i + 1); break; }
      if (sections[state.open]) sections[state.open].open = true;
    }
    // `toggle` fires asynchronously; draw now so a DOM dump after load sees the graphs.
    for (var db in sections) {
      var det = sections[db];
      if (det.open && !det.lastChild.firstChild) drawGraph(db, det.lastChild);
    }
  }

  window.addEventListener("hashchange", function () { readHash(); sync(); openSections(); });
  sync();
  openSections();
  document.body.setAttribute("data-ready", "1");
  }
})();
