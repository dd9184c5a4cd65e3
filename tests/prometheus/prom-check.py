#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Prometheus side of appleflowd: the Grafana dashboard and a fleet's sums.

  prom-check.py dashboard FILE SRCDIR
      The dashboard has what Grafana's import needs (uid, title,
      schemaVersion, panels with a datasource and targets with an expr,
      the datasource and instance variables), and every metric it names is
      one src/stats/prometheus.c writes.

  prom-check.py query FILE URL
      Every query of the dashboard (panels, the instance variable, the
      annotations), its variables replaced as Grafana would, returns data
      from the Prometheus server at URL.

  prom-check.py docs FILE URL
      Every ```promql block of FILE returns data.

  prom-check.py ini FILE
      Prints FILE's one ```ini block, unindented.

  prom-check.py config FILE RULES TARGET...
      Prints the prometheus.yml of FILE's ```yaml block that starts with
      "# prometheus.yml", with RULES for its rule file, TARGET... for its
      targets, and 1 s scrape and evaluation intervals: the recipe as run.

  prom-check.py fleet URL STATS.json...
      `sum by (service)` and `sum by (product)` over every instance equal
      the sums of the `appleflowctl stats --all --json` outputs, exactly, for
      connections, bytes and blocked packets.

  prom-check.py series URL
      Prints the number of appleflowd series per instance, then per family.

  prom-check.py instances URL N
      N targets are up and export appleflowd_build_info (exit 1 otherwise).

  prom-check.py write-time URL INSTANCE
      Prints INSTANCE's appleflowd_textfile_write_time_seconds.

  prom-check.py rules URL
      Every loaded rule of group appleflowd is healthy, and no alert is
      pending or firing.

Exit status 1 with the reason on stderr when a check fails.
"""

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def fail(msg):
    print(f"prom-check: {msg}", file=sys.stderr)
    sys.exit(1)


def api(url, path, **params):
    q = urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(f"{url}/api/v1/{path}?{q}", timeout=10) as r:
            o = json.load(r)
    except urllib.error.HTTPError as e:
        fail(f"{path} {params}: {e}: {e.read().decode(errors='replace')}")
    if o.get("status") != "success":
        fail(f"{path} {params}: {o}")
    return o["data"]


def query(url, expr):
    return api(url, "query", query=expr)["result"]


def exprs(d):
    """(where, expr) for every PromQL expression of the dashboard."""
    for p in d["panels"]:
        for t in p.get("targets", []):
            yield f"panel {p['title']!r} target {t.get('refId')}", t.get("expr", "")
    for a in d.get("annotations", {}).get("list", []):
        if "expr" in a:
            yield f"annotation {a['name']!r}", a["expr"]


def variable(d, name):
    for v in d.get("templating", {}).get("list", []):
        if v.get("name") == name:
            return v
    return None


def check_dashboard(path, srcdir):
    with open(path) as f:
        d = json.load(f)
    for key, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list)):
        if not isinstance(d.get(key), kind) or not d[key]:
            fail(f"{path}: no {key} ({kind.__name__})")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", d["uid"]):
        fail(f"{path}: uid {d['uid']!r} is not a Grafana uid")
    ds = variable(d, "datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        fail(f"{path}: no datasource variable of type prometheus")
    inst = variable(d, "instance")
    if not inst or inst.get("type") != "query" or "label_values(" not in inst.get("definition", "") \
            or not inst.get("includeAll") or not inst.get("multi"):
        fail(f"{path}: no instance variable (query label_values, multi, include all)")
    ids = set()
    for p in d["panels"]:
        where = f"{path}: panel {p.get('title')!r}"
        for key in ("id", "type", "title", "gridPos", "datasource", "targets"):
            if key not in p:
                fail(f"{where}: no {key}")
        if p["id"] in ids:
            fail(f"{where}: id {p['id']} used twice")
        ids.add(p["id"])
        if p["datasource"].get("uid") != "${datasource}":
            fail(f"{where}: datasource is not the datasource variable")
        if not p["targets"]:
            fail(f"{where}: no targets")
        for t in p["targets"]:
            if not t.get("expr") or not t.get("refId"):
                fail(f"{where}: a target without expr or refId")
            if '$instance' not in t["expr"]:
                fail(f"{where}: {t['expr']!r} ignores the instance variable")
    with open(os.path.join(srcdir, "src", "stats", "prometheus.c")) as f:
        written = set(re.findall(r'"(appleflowd_[a-z_]*[a-z])"', f.read()))
    n = 0
    for where, e in exprs(d):
        for name in re.findall(r"\bappleflowd_[a-z_]*[a-z]\b", e):
            if name not in written:
                fail(f"{path}: {where} names {name}, which src/stats/prometheus.c does not write")
            n += 1
    print(f"prom-check: {path}: {len(d['panels'])} panels, {n} metric references, import fields present")


def check_query(path, url):
    with open(path) as f:
        d = json.load(f)
    inst = variable(d, "instance")
    m = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", inst["definition"])
    if not m:
        fail(f"instance variable: {inst['definition']!r}")
    values = api(url, f"label/{m.group(2)}/values", **{"match[]": m.group(1)})
    if not values:
        fail(f"the instance variable ({inst['definition']}) has no value")
    # Grafana replaces a multi-value variable by a regex alternation, its
    # metacharacters escaped for a PromQL string ("\\.").
    alternation = "|".join(re.escape(v).replace("\\", "\\\\") for v in values)
    subst = {"$instance": "(" + alternation + ")",
             "$__rate_interval": "20s", "$__interval": "5s", "$__range": "5m"}
    empty = []
    n = 0
    for where, e in exprs(d):
        q = e
        for k in sorted(subst, key=len, reverse=True):
            q = q.replace(k, subst[k])
        if "$" in q:
            fail(f"{where}: a variable left in {q!r}")
        n += 1
        if where.startswith("annotation"):
            continue        # a start during the test is not data to wait for: checked to parse
        if not query(url, q):
            empty.append(f"{where}: {q}")
    if empty:
        fail("no data:\n  " + "\n  ".join(empty))
    print(f"prom-check: {n} queries of {path} for instances {values}: every one returns data")


def check_docs(path, url):
    with open(path) as f:
        blocks = re.findall(r"^```promql\n(.*?)^```", f.read(), re.M | re.S)
    if not blocks:
        fail(f"{path}: no promql block")
    for q in blocks:
        if not query(url, q.strip()):
            fail(f"{path}: no data for {q.strip()}")
    print(f"prom-check: {len(blocks)} queries of {path}: every one returns data")


def block(path, lang, first=""):
    """The lines of the one ```lang block of path whose text starts with first."""
    with open(path) as f:
        blocks = re.findall(r"^( *)```" + lang + r"\n(\1" + re.escape(first) + r".*?)^\1```",
                            f.read(), re.M | re.S)
    if len(blocks) != 1:
        fail(f"{path}: {len(blocks)} {lang} blocks starting {first!r}, want 1")
    indent, text = blocks[0]
    return [line[len(indent):] for line in text.splitlines()]


def print_config(path, rules, targets):
    lines = block(path, "yaml", "# prometheus.yml\n")
    out, n_rules, n_targets = [], 0, 0
    for line in lines:
        if re.fullmatch(r" *- /etc/prometheus/appleflowd-alerts\.yml", line):
            line = line.replace("/etc/prometheus/appleflowd-alerts.yml", rules)
            n_rules += 1
        elif re.fullmatch(r" *- targets: \[.*\]", line):
            line = line[:line.index("[")] + json.dumps(targets)
            n_targets += 1
        out.append(line)
    if n_rules != 1 or n_targets != 1:
        fail(f"{path}: the prometheus.yml block has {n_rules} rule files and {n_targets} target lists, want 1 each")
    print("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s")
    print("\n".join(out))


def sums(stats_files, kind, key, field):
    total = {}
    for path in stats_files:
        with open(path) as f:
            for x in json.load(f)[kind]:
                total[x[key]] = total.get(x[key], 0) + x[field]
    return total


def check_fleet(url, stats_files):
    checks = (("services", "service", "appleflowd_"), ("products", "product", "appleflowd_product_"))
    fields = (("connections", "connections_total"), ("bytes", "connection_bytes_total"),
              ("blocked_packets", "blocked_packets_total"))
    bad, compared, nonzero = [], 0, 0
    for kind, key, prefix in checks:
        for field, metric in fields:
            want = sums(stats_files, kind, key, field)
            expr = f"sum by ({key}) ({prefix}{metric})"
            got = {r["metric"].get(key, ""): int(r["value"][1]) for r in query(url, expr)}
            if got != want:
                diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
                bad.append(f"{expr}: (prometheus, stats) differ: {diff}")
            compared += len(want)
            nonzero += sum(1 for v in want.values() if v)
    if bad:
        fail("\n  ".join(bad))
    print(f"prom-check: fleet sums equal the {len(stats_files)} stats outputs: {compared} sums, {nonzero} of them non-zero")


def print_series(url):
    for r in query(url, 'count by (instance) ({__name__=~"appleflowd_.+"})'):
        print(f"series instance={r['metric']['instance']} {r['value'][1]}")
    for r in query(url, 'count by (__name__) ({__name__=~"appleflowd_.+"})'):
        print(f"family {r['metric']['__name__']} {r['value'][1]}")


def check_instances(url, n):
    try:
        up = query(url, "up == 1")
        info = query(url, "appleflowd_build_info")
    except OSError as e:
        fail(f"{url}: {e}")
    if len(up) != n or len(info) != n:
        fail(f"{len(up)} targets up, {len(info)} export appleflowd_build_info; want {n}")


def print_write_time(url, instance):
    r = query(url, f'appleflowd_textfile_write_time_seconds{{instance="{instance}"}}')
    if len(r) != 1:
        fail(f"{instance}: {len(r)} write times")
    print(r[0]["value"][1])


def check_rules(url):
    rules = [r for g in api(url, "rules")["groups"] if g["name"] == "appleflowd" for r in g["rules"]]
    if not rules:
        fail("no rule of group appleflowd is loaded")
    for r in rules:
        if r.get("health") != "ok":
            fail(f"rule {r.get('name')}: health {r.get('health')}: {r.get('lastError')}")
        if r.get("state", "inactive") != "inactive":
            fail(f"rule {r['name']} is {r['state']} on a healthy router: {r.get('alerts')}")
    print(f"prom-check: {len(rules)} alert rules loaded, healthy, none pending or firing")


def main(argv):
    if len(argv) >= 3 and argv[0] == "dashboard":
        check_dashboard(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "query":
        check_query(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "docs":
        check_docs(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "ini":
        print("\n".join(block(argv[1], "ini")))
    elif len(argv) >= 4 and argv[0] == "config":
        print_config(argv[1], argv[2], argv[3:])
    elif len(argv) >= 3 and argv[0] == "fleet":
        check_fleet(argv[1], argv[2:])
    elif len(argv) == 2 and argv[0] == "series":
        print_series(argv[1])
    elif len(argv) == 3 and argv[0] == "instances":
        check_instances(argv[1], int(argv[2]))
    elif len(argv) == 3 and argv[0] == "write-time":
        print_write_time(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "rules":
        check_rules(argv[1])
    else:
        fail(f"usage: see {__file__}")


if __name__ == "__main__":
    main(sys.argv[1:])
