#!/usr/bin/env python3
"""The checks of bin/check-alert-rules that need parsing (Python 3 with PyYAML).

  checks.py extract   PROMETHEUSRULE OUT   write the PrometheusRule's .spec as a plain rules file
  checks.py ops-ids   ROOT PROMETHEUSRULE  every alert of ops-service's AlertRules has its rule
                                           (label ops_alert) with ops's threshold
  checks.py rules     ROOT PROMETHEUSRULE  labels and annotations every alert needs; runbook_url
                                           anchors exist; every metric queried is known
  checks.py dashboard ROOT PROMETHEUSRULE DASHBOARD
                                           the JSON parses, uses ${DS_PROMETHEUS}, and every
                                           metric it queries is known

"Known" metrics: those the services' Java code registers with Micrometer (found by reading the
source, see java_metrics), the HTTP server timer Quarkus records, Prometheus's own (up, ALERTS)
and the PrometheusRule's recording rules. Each check prints one line per problem and exits 1
if there is any.
"""
import json
import re
import sys
from pathlib import Path

import yaml

# Metrics that no Metered source registers but that exist all the same.
FRAMEWORK_METRICS = {
    # Quarkus Micrometer's HTTP server timer (quarkus-micrometer-registry-prometheus)
    "http_server_requests_seconds_count", "http_server_requests_seconds_sum",
    "http_server_requests_seconds_max", "http_server_requests_seconds_bucket",
    # Prometheus itself
    "up", "ALERTS", "ALERTS_FOR_STATE",
}
PROMQL_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                   "group_right", "offset", "bool", "inf", "nan", "atan2", "start", "end"}
OPS_ALERT_RULES = "ops-service/src/main/java/dev/metered/ops/monitoring/AlertRules.java"
OPS_PROPERTIES = "ops-service/src/main/resources/application.properties"
OPS_DEPLOYED_ENV = "deploy/k8s/base/apps/config/ops-service.env"

problems = []


def problem(message):
    problems.append(message)
    print(f"  FAIL {message}")


def finish(what):
    if problems:
        print(f"{what}: {len(problems)} problem(s)")
        sys.exit(1)
    print(f"{what}: ok")


def load_rule(path):
    document = yaml.safe_load(Path(path).read_text())
    if not isinstance(document, dict) or document.get("kind") != "PrometheusRule":
        sys.exit(f"{path}: not a PrometheusRule")
    return document


def rules_of(document):
    for group in document["spec"]["groups"]:
        for rule in group.get("rules", []):
            yield group["name"], rule


# ------------------------------------------------------------------ PromQL metric names

def metric_names(expr):
    """The metric names a PromQL expression (or a Grafana query) selects, by a lexical scan:
    strings, label matchers, ranges and grouping clauses are removed first, then every
    identifier that is not a function call, keyword or number is a metric name."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$:])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in PROMQL_KEYWORDS:
            continue
        names.add(name)
    return names


# ------------------------------------------------------------------ Java: registered metrics

BUILDER = re.compile(r"\b(Counter|FunctionCounter|Timer|LongTaskTimer|DistributionSummary|Gauge|TimeGauge)"
                     r"\s*\.\s*builder\s*\(\s*([^,)]+)")
REGISTRY = re.compile(r"\bregistry\s*\.\s*(counter|gauge|timer|summary)\s*\(\s*([^,)]+)")
CONSTANT = re.compile(r"\bstatic\s+final\s+String\s+(\w+)\s*=\s*\"([^\"]+)\"")


def split_arguments(text):
    """The top-level comma-separated arguments of a call, text starting after its '('."""
    depth, current, arguments = 0, [], []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                arguments.append("".join(current).strip())
                return arguments
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    return arguments


def java_metrics(root):
    """Prometheus names of the meters the services' main Java code registers."""
    sources = [p for p in Path(root).glob("*/src/main/java/**/*.java")]
    texts = {p: p.read_text() for p in sources}
    constants = {}
    for text in texts.values():
        for name, value in CONSTANT.findall(text):
            constants.setdefault(name, set()).add(value)

    def resolve(token, text, position):
        token = token.strip()
        if token.startswith('"'):
            return {token.strip('"')}
        identifier = token.split(".")[-1]
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", identifier) and identifier in constants:
            return constants[identifier]
        # a parameter of a helper method: resolve the argument at its position in every call
        head = text[:position]
        signatures = list(re.finditer(r"\b(\w+)\s*\(([^()]*\bString\s+" + re.escape(identifier) + r"\b[^()]*)\)\s*\{", head))
        if not signatures:
            return set()
        method, parameters = signatures[-1].group(1), signatures[-1].group(2)
        index = [p.strip().split()[-1] for p in parameters.split(",")].index(identifier)
        values = set()
        for call in re.finditer(r"\b" + re.escape(method) + r"\s*\(", text):
            if call.start() == signatures[-1].start(1):
                continue
            arguments = split_arguments(text[call.end():])
            if len(arguments) > index and (arguments[index].startswith('"') or re.fullmatch(r"[\w.]+", arguments[index])):
                values |= resolve(arguments[index], text, call.start())
        return values

    names, unresolved = set(), []
    for path, text in texts.items():
        found = [(m.group(1), m.group(2), m.start()) for m in BUILDER.finditer(text)]
        found += [({"counter": "Counter", "gauge": "Gauge", "timer": "Timer", "summary": "DistributionSummary"}[m.group(1)],
                   m.group(2), m.start()) for m in REGISTRY.finditer(text)]
        for kind, token, position in found:
            bases = resolve(token, text, position)
            if not bases:
                unresolved.append(f"{path}: {kind}.builder({token.strip()})")
            for base in bases:
                names |= prometheus_names(kind, base)
    return names, unresolved


def prometheus_names(kind, base):
    """What Micrometer's Prometheus naming convention makes of a meter (no base units used)."""
    name = re.sub(r"[^A-Za-z0-9_:]", "_", base)
    if kind in ("Counter", "FunctionCounter"):
        return {name if name.endswith("_total") else name + "_total"}
    if kind in ("Gauge", "TimeGauge"):
        return {name}
    if kind in ("Timer", "LongTaskTimer"):
        name = name if name.endswith("_seconds") else name + "_seconds"
        if kind == "LongTaskTimer":
            return {name + "_active_count", name + "_duration_sum", name + "_max"}
    return {name + suffix for suffix in ("_count", "_sum", "_max", "_bucket")}


def known_metrics(root, document):
    names, unresolved = java_metrics(root)
    for message in unresolved:
        problem(f"cannot tell the metric name of {message}")
    if not names:
        problem("found no metric registered in */src/main/java: has the code moved?")
    records = {rule["record"] for _, rule in rules_of(document) if "record" in rule}
    return names | FRAMEWORK_METRICS | records


# ------------------------------------------------------------------ commands

def extract(source, out):
    document = load_rule(source)
    Path(out).write_text(yaml.safe_dump(document["spec"], sort_keys=False))


def ops_ids(root, source):
    java = Path(root, OPS_ALERT_RULES).read_text()
    properties = Path(root, OPS_PROPERTIES).read_text()
    # the threshold ops runs with in Kubernetes: the ConfigMap's value, else the property's default
    deployed = dict(re.findall(r"^(OPS_ALERT_\w+)=(\d+)\s*$", Path(root, OPS_DEPLOYED_ENV).read_text(), re.M))
    defaults = {}
    for key, variable, value in re.findall(r"^ops\.alerts\.([\w-]+)=\$\{(\w+):(\d+)\}", properties, re.M):
        defaults[key.replace("-", "").lower()] = int(deployed.get(variable, value))
    thresholds = {}
    for match in re.finditer(r"(?:\babove|\bnew\s+Alert)\(\s*\"([a-z0-9_]+)\"", java):
        alert_id = match.group(1)
        segment = java[match.end():java.index('"', match.end())]
        limit = re.search(r"\blimits\.(\w+)\(\)", segment)
        if limit:
            key = limit.group(1).lower()
            if key not in defaults:
                problem(f"{alert_id}: no default for limits.{limit.group(1)}() in {OPS_PROPERTIES}")
                continue
            thresholds[alert_id] = defaults[key]
        else:
            literal = re.search(r",\s*(\d+)\s*,\s*$", segment)
            if not literal:
                problem(f"{alert_id}: cannot read its threshold in {OPS_ALERT_RULES}")
                continue
            thresholds[alert_id] = int(literal.group(1))
    if len(thresholds) < 6:
        problem(f"read {len(thresholds)} alert ids from {OPS_ALERT_RULES}, expected at least the runbook's six")

    document = load_rule(source)
    by_id = {}
    for _, rule in rules_of(document):
        alert_id = (rule.get("labels") or {}).get("ops_alert")
        if alert_id:
            by_id.setdefault(alert_id, []).append(rule)
    for alert_id, threshold in sorted(thresholds.items()):
        rules = by_id.pop(alert_id, [])
        if len(rules) != 1:
            problem(f"{alert_id}: {len(rules)} alerts with ops_alert: {alert_id} in {source}, expected 1")
            continue
        expr = rules[0]["expr"]
        if not re.search(rf">\s*{threshold}(?![\d.])|\[{threshold}m\]", expr):
            problem(f"{alert_id}: {rules[0]['alert']} does not compare with ops's threshold {threshold}")
            continue
        print(f"  ok   {alert_id} -> {rules[0]['alert']} (threshold {threshold})")
    for alert_id in by_id:
        problem(f"ops_alert: {alert_id} in {source} is not an alert of {OPS_ALERT_RULES}")
    finish("ops alert ids")


def slug(heading):
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path):
    seen, result = {}, set()
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f"{base}-{count}")
    return result


def rules(root, source):
    document = load_rule(source)
    known = known_metrics(root, document)
    for group, rule in rules_of(document):
        name = rule.get("alert") or rule.get("record")
        for metric in sorted(metric_names(rule["expr"]) - known):
            problem(f"{group}/{name}: queries {metric}, which no service registers")
        if "alert" not in rule:
            continue
        labels, annotations = rule.get("labels") or {}, rule.get("annotations") or {}
        if labels.get("severity") not in ("critical", "warning"):
            problem(f"{name}: severity must be critical or warning")
        for key in ("summary", "description", "runbook_url"):
            if not annotations.get(key):
                problem(f"{name}: no {key} annotation")
        url = annotations.get("runbook_url", "")
        file, _, anchor = url.partition("#")
        target = Path(root, file)
        if not file or not target.is_file():
            problem(f"{name}: runbook_url {url}: no such file")
        elif anchor and anchor not in anchors(target):
            problem(f"{name}: runbook_url {url}: no such heading in {file}")
    finish("rules: labels, annotations, runbook links, metric names")


def dashboard(root, source, path):
    document = load_rule(source)
    known = known_metrics(root, document)
    try:
        board = json.loads(Path(path).read_text())
    except ValueError as e:
        problem(f"{path}: not JSON: {e}")
        finish("dashboard")
    variables = {v.get("name"): v for v in board.get("templating", {}).get("list", [])}
    if variables.get("DS_PROMETHEUS", {}).get("type") != "datasource":
        problem("no datasource variable DS_PROMETHEUS")
    if not isinstance(board.get("schemaVersion"), int):
        problem("no schemaVersion")
    panels = list(board.get("panels", []))
    for panel in list(panels):
        panels.extend(panel.get("panels", []))
    ids, queries = set(), 0
    for panel in panels:
        title = panel.get("title", "?")
        if panel.get("id") in ids:
            problem(f"panel {title}: id {panel.get('id')} used twice")
        ids.add(panel.get("id"))
        if panel.get("type") == "row":
            continue
        for holder in [panel] + panel.get("targets", []):
            if holder.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
                problem(f"panel {title}: datasource is not ${{DS_PROMETHEUS}}")
        if not panel.get("targets"):
            problem(f"panel {title}: no query")
        for target in panel.get("targets", []):
            queries += 1
            for metric in sorted(metric_names(target.get("expr", "")) - known):
                problem(f"panel {title}: queries {metric}, which no service registers")
    finish(f"dashboard: {len(panels)} panels, {queries} queries")


def main(argv):
    commands = {"extract": (extract, 2), "ops-ids": (ops_ids, 2), "rules": (rules, 2), "dashboard": (dashboard, 3)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        sys.exit(__doc__)
    command, _ = commands[argv[1]]
    command(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
