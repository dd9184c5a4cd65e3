#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps the documentation exact to the code.

Reads what the code defines (configuration keys and which of them reload,
command-line options, MESSAGE_IDs, journal fields, kernel settings, Prometheus
metrics) and checks that the man pages, the shipped configuration, the journal
message catalog and docs/journal-fields.md name each of them, and name nothing
the code does not have.

Usage: check-docs.py SOURCE_ROOT
"""

import re
import sys
from pathlib import Path

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
errors = []


def read(rel):
    return (ROOT / rel).read_text(encoding="utf-8")


def error(where, what):
    errors.append(f"{where}: {what}")


def c_function(text, name):
    """The body of the C function `name`, up to the closing brace in column 0."""
    m = re.search(r"^[^\n]*\b" + name + r"\([^)]*\)\s*\{\n(.*?)^\}", text, re.M | re.S)
    if not m:
        sys.exit(f"check-docs: function {name}() not found: has the code changed shape?")
    return m.group(1)


def c_array(text, name):
    """The initializer of the C array `name`."""
    m = re.search(r"\b" + name + r"\s*(?:\[[^\]]*\])+\s*=\s*\{(.*?)\n\};", text, re.S)
    if not m:
        sys.exit(f"check-docs: array {name} not found: has the code changed shape?")
    return m.group(1)


def at_least(what, items, n):
    """A pattern that silently matches nothing would make every check pass."""
    if len(items) < n:
        sys.exit(f"check-docs: found only {len(items)} {what} in the code (expected {n} or more): "
                 "has the code changed shape?")
    return items


def scd_sections(text):
    """Top-level sections of an scdoc page: heading -> body."""
    parts = re.split(r"^# (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


# ---- configuration keys ----------------------------------------------------

config_c = read("src/config.c")
keys = at_least("configuration keys", re.findall(
    r'^\s*K\("(\w+)",\s*"(\w+)",\s*\w+,\s*(\w+)', c_array(config_c, "keys"), re.M), 15)
key_field = {(sec, name): field for sec, name, field in keys}
all_keys = {name for _, name, _ in keys}

restart = set(re.findall(r'append\(buf, size, "(\w+)"\)', c_function(config_c, "config_restart_changes")))
reloaded_fields = set(re.findall(r"\bc->(\w+) = [^;,]*\bnext->", c_function(config_c, "config_apply_reloadable")))
reloaded = {name for (sec, name), field in key_field.items() if field in reloaded_fields}
at_least("reloadable keys", reloaded, 1)
for name in sorted(all_keys - restart - reloaded):
    error("src/config.c", f"key '{name}' neither reloads (config_apply_reloadable) "
          "nor is named by config_restart_changes")
for name in sorted(restart - all_keys):
    error("src/config.c", f"config_restart_changes names '{name}', which is no key")

conf5_path = "docs/appleflowd.conf.5.scd"
conf5 = scd_sections(read(conf5_path))
for sec, name, _ in keys:
    body = conf5.get(f"[{sec}]")
    if body is None:
        error(conf5_path, f"no section '# [{sec}]'")
        continue
    m = re.search(r"^\*" + name + r"\* =.*\n((?:\t.*\n|\n(?=\t))*)", body, re.M)
    if not m:
        error(conf5_path, f"key '{name}' is not described under [{sec}] (a line '*{name}* = ...')")
        continue
    text = m.group(1)
    if name in reloaded and "Reloaded" not in text:
        error(conf5_path, f"key '{name}' reloads on SIGHUP, but its description does not say 'Reloaded'")
    if name in restart and "Restart" not in text:
        error(conf5_path, f"key '{name}' needs a restart, but its description does not say 'Restart'")
    if "Default:" not in text:
        error(conf5_path, f"key '{name}' has no 'Default:'")
for heading, body in conf5.items():
    m = re.fullmatch(r"\[(\w+)\]", heading)
    if not m:
        continue
    for name in re.findall(r"^\*(\w+)\* =", body, re.M):
        if (m.group(1), name) not in key_field:
            error(conf5_path, f"describes '{name}' under [{m.group(1)}], which src/config.c does not accept")

reload_text = conf5.get("RELOADING", "")
lists = [set(re.findall(r"\w+", line)) for line in re.findall(r"^\t(.+)$", reload_text, re.M)]
if len(lists) != 2:
    error(conf5_path, "RELOADING should hold two indented lists: the keys that reload, those that need a restart")
else:
    if lists[0] != reloaded:
        error(conf5_path, f"RELOADING lists {sorted(lists[0])} as reloaded; the code reloads {sorted(reloaded)}")
    if lists[1] != restart:
        error(conf5_path, f"RELOADING lists {sorted(lists[1])} as needing a restart; "
              f"the code says {sorted(restart)}")

conf_path = "conf/appleflowd.conf"
conf = read(conf_path)
section, listed = None, set()
for n, line in enumerate(conf.splitlines(), 1):
    if m := re.fullmatch(r"\[(\w+)\]", line):
        section = m.group(1)
    elif m := re.fullmatch(r"#?(\w+) =.*", line):
        if (section, m.group(1)) not in key_field:
            error(f"{conf_path}:{n}", f"key '{m.group(1)}' in [{section}] is not accepted by src/config.c")
        listed.add((section, m.group(1)))
for sec, name, _ in keys:
    if (sec, name) not in listed:
        error(conf_path, f"key '{name}' of [{sec}] is missing (as '#{name} = default')")
m = re.search(r"again:(.*?)take effect at once", conf, re.S)
said = set(re.findall(r"[a-z_]+", m.group(1).replace("#", " "))) - {"and"} if m else None
if said != reloaded:
    error(conf_path, f"the header says {sorted(said) if said else 'nothing'} reload at once; "
          f"the code reloads {sorted(reloaded)}")

# ---- command-line options --------------------------------------------------

man8_path = "docs/appleflowd.8.scd"
man8_text = read(man8_path)
man8 = scd_sections(man8_text)
options_c = read("src/options.c")
options = at_least("long options", re.findall(
    r'\{\s*"([a-z-]+)",\s*\w+_argument,\s*NULL,\s*(\'\w\'|\w+)\s*\}', c_array(options_c, "long_options")), 5)
for name, val in options:
    if f"*--{name}*" not in man8.get("OPTIONS", ""):
        error(man8_path, f"option --{name} is not described in OPTIONS")
    if val.startswith("'") and f"*-{val[1]}*" not in man8.get("OPTIONS", ""):
        error(man8_path, f"option -{val[1]} (--{name}) is not described in OPTIONS")
for name in re.findall(r"^\*--([a-z-]+)\*", man8.get("OPTIONS", ""), re.M) + \
        re.findall(r"^\*-\w\*, \*--([a-z-]+)\*", man8.get("OPTIONS", ""), re.M):
    if name not in {o for o, _ in options}:
        error(man8_path, f"OPTIONS describes --{name}, which src/options.c does not have")

# ---- MESSAGE_IDs -----------------------------------------------------------

ids = {}
for rel in ("src/output/message-id.h", "src/daemon.h"):
    for name, mid in re.findall(r'#define (MESSAGE_ID_\w+)_STR "([0-9a-f]{32})"', read(rel)):
        ids[mid] = f"{name} ({rel})"
at_least("MESSAGE_IDs", ids, 10)
catalog_path = "data/appleflowd.catalog"
catalog = read(catalog_path)
catalog_ids = re.findall(r"^-- ([0-9a-f]{32})$", catalog, re.M)
fields_path = "docs/journal-fields.md"
fields_doc = read(fields_path)
for mid, name in sorted(ids.items(), key=lambda kv: kv[1]):
    if mid not in catalog_ids:
        error(catalog_path, f"no section '-- {mid}' for {name}")
    if mid not in fields_doc:
        error(fields_path, f"{name} = {mid} is not named")
    if mid not in man8.get("JOURNAL ENTRIES", ""):
        error(man8_path, f"{name} = {mid} is not named in JOURNAL ENTRIES")
for mid in catalog_ids:
    if mid not in ids:
        error(catalog_path, f"section {mid} is no MESSAGE_ID the code defines")
    if catalog_ids.count(mid) > 1:
        error(catalog_path, f"section {mid} appears {catalog_ids.count(mid)} times")
for n, line in enumerate(catalog.splitlines(), 1):
    if line.startswith("-- ") and not re.fullmatch(r"-- [0-9a-f]{32}", line):
        error(f"{catalog_path}:{n}", f"'{line}' is no section header for journalctl ('-- ' and 32 hex digits)")
for block in re.split(r"^-- [0-9a-f]{32}$", catalog, flags=re.M)[1:]:
    if not re.search(r"^Subject: .+$", block, re.M):
        error(catalog_path, f"a section has no Subject: line: {block.strip()[:60]!r}")

# ---- journal fields --------------------------------------------------------

written = set()
for path in sorted((ROOT / "src").glob("**/*.c")):
    text = path.read_text(encoding="utf-8")
    written |= set(re.findall(
        r'\b(?:entry_add_field|entry_add_joined|add_str|add_u64|add_ip|add_clean|field_open|ADD)\(\s*(?:\w+,\s*)?"([A-Z][A-Z0-9_]*)"',
        text))
    if "window_field" in text:
        written |= set(re.findall(r'"([A-Z][A-Z0-9_]*)"', c_array(text, "window_field")))
at_least("journal fields", written, 40)
documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", fields_doc, re.M))
for name in sorted(written - documented):
    error(fields_path, f"field {name}, which the daemon writes, has no table row")
for name in sorted(documented - written):
    error(fields_path, f"has a row for {name}, which the daemon does not write")

# ---- kernel settings and Prometheus metrics --------------------------------

sysctls = at_least("kernel settings", re.findall(r'"(net\.netfilter\.\w+)"', read("src/input/sysctl-check.c")), 3)
for name in sysctls:
    if f"*{name}*" not in man8.get("KERNEL SETTINGS", ""):
        error(man8_path, f"kernel setting {name} is not described in KERNEL SETTINGS")

prometheus_c = read("src/stats/prometheus.c")
metrics = set(re.findall(r'"(appleflowd_[a-z_]*[a-z])"', prometheus_c))
for suffix in re.findall(r'"([a-z_]+_rate)"', prometheus_c):
    metrics |= {"appleflowd_" + suffix, "appleflowd_product_" + suffix}
at_least("Prometheus metrics", metrics, 10)
for name in sorted(metrics):
    if not re.search(r"\*" + name + r"\*", man8.get("STATISTICS", "")):
        error(man8_path, f"Prometheus metric {name} is not named in STATISTICS")
for name in sorted(set(re.findall(r"\*(appleflowd_[a-z_]+)\*", man8.get("STATISTICS", ""))) - metrics):
    error(man8_path, f"STATISTICS names the metric {name}, which src/stats/prometheus.c does not write")

# ----

if errors:
    print("\n".join(errors))
    print(f"check-docs: {len(errors)} problem(s): the documentation and the code disagree", file=sys.stderr)
    sys.exit(1)
print(f"check-docs: {len(keys)} keys ({len(reloaded)} reload), {len(options)} options, {len(ids)} MESSAGE_IDs, "
      f"{len(written)} journal fields, {len(sysctls)} kernel settings, {len(metrics)} metrics: all documented")
