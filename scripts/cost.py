#!/usr/bin/env python3
"""`make cost`: what okta-hooks costs on AWS per month, from the template's own settings.

Reads infra/template.yaml (parameters and their defaults, conditions, memory sizes,
architectures, SQS event sources, queue kinds, secrets, alarms, dashboards, KMS keys, log
retention) and the EMF metric names in the Rust sources, then prices 10k, 100k and 400k
events a day twice: with the template's defaults, and with the cheapest options
(CHEAPEST below: each says what it gives up). `--format markdown` prints the README section
(README.md "What it costs"; integration-tests/tests/it/cost.rs checks it is current).

Python 3 standard library only: the template is read line by line (its resources are blocks
at two spaces of indentation, its conditions one line each), not with a YAML parser.
"""

import argparse
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"

# ---------------------------------------------------------------- unit prices
# AWS's public prices, region us-east-1, read 2026-12-01; no free tier in the tables (the
# always-free tier is a separate line, ALWAYS_FREE below).
PRICES_AS_OF = "2026-12-01"
REGION = "us-east-1"
# "AWS Lambda Pricing": requests, and duration per GB-second (first 6 billion GB-s a month).
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_S = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
# "Amazon API Gateway pricing", HTTP APIs: per request (first 300 million a month, 512 KB each).
HTTP_API_PER_REQUEST = 1.00 / 1e6
# "Amazon SQS pricing": per request (each 64 KB chunk of a payload is one request).
SQS_FIFO_PER_REQUEST = 0.50 / 1e6
SQS_STANDARD_PER_REQUEST = 0.40 / 1e6
# "Amazon DynamoDB pricing for on-demand capacity": per write / read request unit (a
# strongly consistent read of up to 4 KB is one unit, an eventually consistent one half),
# and storage per GB-month (Standard table class).
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1e6
DYNAMODB_PER_READ_UNIT = 0.125 / 1e6
DYNAMODB_PER_GB_MONTH = 0.25
# "AWS Secrets Manager pricing": per secret-month, per 10,000 API calls.
SECRET_PER_MONTH = 0.40
SECRETS_PER_API_CALL = 0.05 / 10_000
# "Amazon CloudWatch pricing": Logs (Standard) ingestion per GB and storage per GB-month
# (compressed); a standard-resolution alarm per month, and a metric-math alarm per metric
# it reads (so one alarm over N metrics costs what N alarms cost; a composite alarm is
# $0.50 on top of the alarms it combines); a custom metric per month (first 10,000),
# "prorated by the hour": billed for the hours it receives data; a dashboard per month.
LOGS_INGESTION_PER_GB = 0.50
LOGS_STORAGE_PER_GB_MONTH = 0.03
ALARM_PER_MONTH = 0.10
METRIC_PER_MONTH = 0.30
DASHBOARD_PER_MONTH = 3.00
# "AWS Key Management Service pricing": a customer-managed key per month (requests,
# $0.03 per 10,000, are not modelled: the services cache data keys).
KMS_KEY_PER_MONTH = 1.00
# "Amazon EventBridge pricing": custom events published with PutEvents (64 KB chunks).
EVENTBRIDGE_PER_EVENT = 1.00 / 1e6
# The always-free tier (every account, every month, not only the first year): Lambda 1M
# requests and 400,000 GB-s; SQS 1M requests; CloudWatch 10 custom metrics, 10 alarms,
# 3 dashboards, 5 GB of logs (ingestion and storage); DynamoDB 25 GB of storage. API
# Gateway's free tier lasts 12 months only; Secrets Manager, EventBridge and DynamoDB
# on-demand requests have none. Shared with everything else in the account.
ALWAYS_FREE = {
    "lambda_requests": 1e6, "lambda_gbs": 400_000, "sqs_requests": 1e6, "metrics": 10,
    "alarms": 10, "dashboards": 3, "logs_gb": 5, "dynamodb_gb": 25,
}

# ---------------------------------------------------------------- per-event assumptions
DAYS_PER_MONTH = 30
HOURS_PER_MONTH = DAYS_PER_MONTH * 24
VOLUMES = (10_000, 100_000, 400_000)  # events a day (400k: Okta's event hook cap per org)
# The targets of issue 17, with the cheapest options.
TARGETS = {10_000: 5.0, 400_000: 25.0}
# Okta sends up to 50 events per delivery under load; at these rates mostly one.
EVENTS_PER_DELIVERY = 1.0
# Share of events a rule acts on, and steps per plan.
PLANS_PER_EVENT = 0.05
STEPS_PER_PLAN = 2.0
# Messages per router invocation with a hook: BatchSize (template) is the most; at these
# rates (400k a day is 4.6 events a second) an event is on the queue alone and a long poll
# returns as soon as one is there. With Ingress PollOnly see poll_only_batch.
ROUTER_MESSAGES_PER_BATCH = 1.0
# Share of events a threshold rule counts (shared/router/src/gate.rs: GetItem + UpdateItem
# of the window), and of plans that are destructive (route.rs: one UpdateItem of the
# hourly counter).
THRESHOLD_EVENT_SHARE = 0.05
DESTRUCTIVE_PLAN_SHARE = 0.5
# Wall time per invocation, ms (billed per ms): ingest and router do one SQS / DynamoDB
# round trip or two, a step one Okta call.
INGEST_MS = 30
ROUTER_MS = 30
STEP_MS = 300
POLL_MS = 1000  # log-poller: one System Log page per org and minute
# Log bytes: Lambda's START/END/REPORT lines per invocation (on AWS; none with SystemLogs
# WarningsOnly: Lambda's JSON log format at system log level WARN sends none of them, "Log-level
# filtering", Lambda developer guide, monitoring-cloudwatchlogs-log-level.html); the functions' own
# lines as measured in the local stack's logs (stack_flow, <state>.logs/*.log, 2026-12-01):
# hook-ingest per delivery "delivery enqueued" 335 B + EMF 399 B; event-router per event
# EMF 422 B, per plan "plan routed" 562 B; a step "action" 720 B + "step sent" 520 B + EMF
# 285 B; a poll (per org) its report line and EMF line.
LOG_BYTES_PER_INVOCATION = 300
LOG_BYTES_INGEST_PER_DELIVERY = 335 + 399
LOG_BYTES_ROUTER_PER_EVENT = 422
LOG_BYTES_ROUTER_PER_PLAN = 562
LOG_BYTES_PER_STEP = 720 + 520 + 285
# Those EMF lines were measured at Metrics Full. At Essential a line none of whose metrics
# an alarm reads has no `_aws` member (shared/emf line_at: a plain JSON line of its values):
# it is shorter by that member, computed by aws_member_bytes from each line's dimension
# names and metrics (integration-tests/tests/it/cost.rs checks it against the emf crate).
EMF_LINES = {
    "delivery": (["function"], [("EventsAccepted", "Count"), ("EventsPerDelivery", "Count"),
                                ("EnqueueLatency", "Milliseconds")]),
    "event": (["function"], [("EventsRouted", "Count")]),
    "step": (["family"], [("ActionsDone", "Count"), ("EventToActionLatency", "Milliseconds")]),
}
LOG_BYTES_PER_POLL = 800
# CloudWatch Logs bills stored bytes compressed; JSON lines compress at least this well.
LOG_STORED_FRACTION = 0.25
# Ledger items (key, TTL: aws-adapters DynamoLedger) are under 1 KB: one request unit
# each; stored ~150 B.
LEDGER_ITEM_BYTES = 150
# Lambda's SQS pollers: idle long polls (20 s) of each event source, 5 pollers.
IDLE_RECEIVES_PER_MINUTE_PER_SOURCE = 15
# The log-poller reads every event the hook delivers (same types: the rules' event types)
# and looks each up in the ledger; its copy of an event is dropped by the FIFO queue's
# 5-minute deduplication, or is the only copy with Ingress PollOnly.
POLLED_EVENTS_PER_EVENT = 1.0
SQS_BATCH = 10  # SendMessageBatch entries (shared/fifo-queue send_all)
SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400

# The cheapest options: template parameter values, each with what it gives up. Only
# parameters the template has are applied (and listed).
CHEAPEST = [
    ("Ingress", "PollOnly",
     "no hook endpoint (no API Gateway, Function URL, hook-verify or hook-ingest, nor their"
     " alarms): log-poller's minute's events, on the queue at once, reach the router in"
     " batches; gives up latency: an event is acted on at the next poll after the System Log"
     " shows it (up to a minute plus the System Log's delay) instead of within seconds."
     " Keeping the hook, Ingress FunctionUrl is the cheapest (its own summary row): it gives up"
     " the HTTP API's throttle before any function runs, its access logs and custom domains"),
    ("SystemLogs", "WarningsOnly",
     "no START/END/REPORT lines from Lambda (JSON log format, system log level WARN): gives"
     " up each invocation's duration, memory used, init duration and the platform's timeout"
     " line in the logs; Lambda's Duration, Errors and Throttles metrics and the Errors"
     " alarms stay"),
    ("Metrics", "Essential",
     "only the metrics an alarm reads (Alerts): gives up the dashboard and metric graphs;"
     " every value stays in the JSON log lines for Logs Insights"),
    ("DashboardEnabled", "false", "no dashboard (implied by Metrics Essential)"),
    ("ExecutorFamilies", None,  # the families the shipped rules act through (rules/*.yaml)
     "only the families the shipped rules act through are polled: a rule of yours acting"
     " through another family does not act (its steps wait, alarmed, up to 14 days)"),
    ("ActionRequests", "false",
     "the router does not poll the action-requests queue: gives up actions on request"
     " (okta-hooks run); a request sent anyway waits, alarmed"),
    ("QueuedFunctionErrorAlarms", "false",
     "no Errors alarm for the router and the executors (their DLQ alarms still catch every"
     " message that fails for good): gives up the earlier warning while retries run"),
    ("LegacySingleSecret", "true",
     "one secret <prefix><org> that every function may read: gives up least privilege"
     " (a bug in any function could read the Okta token); the functions warn at cold start"),
    ("CreateOrgSecrets", "false",
     "with LegacySingleSecret: you create that one secret yourself (the stack would create"
     " the six split ones as well)"),
    ("SecretCacheSeconds", "3600",
     "a secret is re-read hourly: a value removed from a secret (revoked hook auth value,"
     " signing key) may be accepted for up to an hour; a refused Okta token is re-read at once"),
]


# ---------------------------------------------------------------- reading the template
def blocks(text: str, section: str) -> dict:
    """The entries of a top-level section (`Parameters`, `Resources`) as name -> block text."""
    out, name, lines, inside = {}, None, [], False
    for line in text.splitlines():
        if re.match(r"^[A-Za-z]", line):
            inside = line.startswith(section + ":")
            if name:
                out[name] = "\n".join(lines)
                name = None
            continue
        if not inside:
            continue
        m = re.match(r"^  ([A-Za-z0-9]+):", line)
        if m:
            if name:
                out[name] = "\n".join(lines)
            name, lines = m.group(1), [line]
        elif name:
            lines.append(line)
    if name:
        out[name] = "\n".join(lines)
    return out


def field(block: str, key: str, default=None):
    m = re.search(r"\b" + key + r": ([^,}\n]+)", block)
    return m.group(1).strip() if m else default


def tokens(text: str) -> list:
    """The tokens of a one-line YAML flow expression: tags, brackets, commas, scalars."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c in " \t":
            i += 1
        elif c == "#":
            break
        elif c in "[],":
            out.append(c)
            i += 1
        elif c == '"':
            j = text.index('"', i + 1)
            out.append(("str", text[i + 1:j]))
            i = j + 1
        else:
            m = re.match(r"[^\s\[\],]+", text[i:])
            word = m.group(0)
            out.append(("tag", word[1:]) if word.startswith("!") else ("str", word))
            i += len(word)
    return out


def parse(toks: list, i: int = 0):
    """(node, next index): a node is a string, a list, or ("Tag", node)."""
    t = toks[i]
    if t == "[":
        items, i = [], i + 1
        while toks[i] != "]":
            node, i = parse(toks, i)
            items.append(node)
            if toks[i] == ",":
                i += 1
        return items, i + 1
    if t[0] == "tag":
        node, j = parse(toks, i + 1)
        return (t[1], node), j
    return t[1], i + 1


class Template:
    def __init__(self, path: Path, overrides: dict = None):
        self.path, self.overrides = path, dict(overrides or {})
        text = path.read_text()
        self.parameters = blocks(text, "Parameters")
        self.resources = blocks(text, "Resources")
        self.globals = blocks(text, "Globals").get("Function", "")
        self.conditions = {}
        for line in text.split("\nConditions:\n", 1)[1].split("\n\n", 1)[0].splitlines():
            m = re.match(r"^  ([A-Za-z0-9]+): (.+)$", line)
            if m:
                self.conditions[m.group(1)] = parse(tokens(m.group(2)))[0]
        self.values = {n: (field(b, "Default") or "").strip('"') for n, b in self.parameters.items()}
        for name, value in (overrides or {}).items():
            if name in self.parameters:
                self.values[name] = value

    def has(self, parameter: str) -> bool:
        return parameter in self.parameters

    def value(self, parameter: str) -> str:
        return self.values[parameter]

    def eval(self, node):
        if isinstance(node, str):
            return node
        if isinstance(node, list):
            return [self.eval(n) for n in node]
        tag, arg = node
        if tag == "Ref":
            return self.values.get(arg, f"<{arg}>")
        if tag == "Sub":
            return re.sub(r"\$\{(\w+)\}", lambda m: self.values.get(m.group(1), ""), arg)
        if tag == "Join":
            sep, items = self.eval(arg[0]), self.eval(arg[1])
            return sep.join(items if isinstance(items, list) else [items])
        if tag == "Split":
            return self.eval(arg[1]).split(self.eval(arg[0]))
        if tag == "Select":
            return self.eval(arg[1])[int(self.eval(arg[0]))]
        if tag == "Equals":
            return self.eval(arg[0]) == self.eval(arg[1])
        if tag == "Not":
            return not self.eval(arg[0])
        if tag == "And":
            return all(self.eval(a) for a in arg)
        if tag == "Or":
            return any(self.eval(a) for a in arg)
        if tag == "Condition":
            return self.condition(arg)
        raise ValueError(f"cost.py cannot evaluate !{tag}")

    def condition(self, name: str) -> bool:
        return bool(self.eval(self.conditions[name]))

    def exists(self, block: str) -> bool:
        """Whether the resource is created: its own `Condition` (4 spaces in) holds."""
        m = re.search(r"^    Condition: (\w+)", block, re.M)
        return not m or self.condition(m.group(1))

    def of_type(self, kind: str) -> dict:
        return {n: b for n, b in self.resources.items()
                if f"Type: {kind}" in b and self.exists(b)}

    def function_setting(self, block: str, key: str) -> str:
        return field(block, key) or field(self.globals, key)

    def functions(self) -> dict:
        out = {}
        for name, block in self.of_type("AWS::Serverless::Function").items():
            arch = re.search(r"Architectures: \[(\w+)\]", block) or re.search(
                r"Architectures: \[(\w+)\]", self.globals)
            # Event sources Lambda polls: an `Enabled: !If [Condition, true, false]` under
            # the queue (ExecutorFamilies) turns one off.
            sources = [q for q, c in re.findall(
                r"Queue: !GetAtt (\w+)\.Arn\n(?:\s+Enabled: !If \[(\w+), true, false\]\n)?", block)
                if not c or self.condition(c)]
            out[name] = {
                "binary": field(block, "Binary"),
                "memory_mb": int(self.function_setting(block, "MemorySize")),
                "timeout_s": int(self.function_setting(block, "Timeout")),
                "arch": arch.group(1),
                "sources": sources,
                "secret_kinds": self.secret_kinds(block),
            }
        return out

    def is_fifo(self, queue: str) -> bool:
        return "FifoQueue: true" in self.resources[queue]

    def secret_kinds(self, block: str) -> int:
        """Secrets a function reads: 1 with LegacySingleSecret, else its Read*Secrets
        policies, unconditional or under a condition that holds."""
        if self.value("LegacySingleSecret") == "true":
            return 1
        kinds = 0
        for line in block.splitlines():
            m = re.search(r"!Ref (Read\w+Secrets)", line)
            if not m or m.group(1) == "ReadLegacyOrgSecrets":
                continue
            c = re.search(r"!If \[(\w+),", line)
            if c and not self.condition(c.group(1)):
                continue
            kinds += 1
        return kinds

    def billed_secrets(self) -> tuple:
        """(secrets billed, who creates them): the stack's, or with CreateOrgSecrets
        "false" the ones the functions read, which you create."""
        created = len(self.of_type("AWS::SecretsManager::Secret"))
        if created:
            return created, "the stack creates"
        if self.value("LegacySingleSecret") == "true":
            return 1, "you create"
        return 6, "you create"


def emf_names() -> dict:
    """Every EMF metric name the functions print, with the file that prints it."""
    sources = [
        "shared/hook-receiver/src/ingest.rs",
        "functions/event-router/src/lib.rs",
        "shared/step-runner/src/audit.rs",
        "shared/log-polling/src/metrics.rs",
    ]
    found = {}
    for path in sources:
        text = (ROOT / path).read_text().split("#[cfg(test)]")[0]
        # emf::count("Name", …), `=> "Name"` (a match arm naming the metric) and
        # ("Name", n) (a table of counts printed when not zero).
        pattern = r'(?:emf::(?:count|millis|seconds)\(\s*|=> |\(\s*(?="[A-Z]\w+",))"([A-Z][A-Za-z0-9]+)"'
        for name in re.findall(pattern, text):
            found.setdefault(name, path)
    return found


def essential_names() -> list:
    text = (ROOT / "shared/emf/src/lib.rs").read_text()
    return re.findall(r'"(\w+)"', re.search(r"pub const ESSENTIAL: &\[&str\] = &\[([^\]]*)\]", text).group(1))


# How often each metric receives a value (CloudWatch bills a metric for the hours it
# does): "delivery", "event", "plan", "step" (per acting family), "okta step" (per acting
# family with Okta calls), "poll with events" (per org), or "rare" (printed only when
# something goes wrong or is asked: failures, 429s, refusals, dead letters, alerts,
# action requests; not counted: $0.30 / 720 = $0.0004 per metric-hour it happens).
METRIC_RATES = {
    "EventsAccepted": "delivery", "EventsPerDelivery": "delivery",
    "EnqueueLatency": "delivery", "DeliveriesRefused": "rare", "EventsRejected": "rare",
    "EventsRouted": "event", "EventsDeduplicated": "rare", "EventsDeadLettered": "rare",
    "PlansSent": "plan", "PlansDryRun": "rare", "PlansRefused": "rare", "PlansFailed": "rare",
    "RequestsSent": "rare", "RequestsDeduplicated": "rare", "RequestsRefused": "rare",
    "ActionsDone": "step", "EventToActionLatency": "step", "ActionsRetried": "rare",
    "ActionsFailed": "rare", "ActionsDryRun": "rare", "Okta429s": "rare",
    "OktaRateLimitRemaining": "okta step", "EventsRead": "poll with events",
    "NewestEventLagSeconds": "poll with events", "EventsMissedByHook": "rare",
    "Throttled": "rare", "Alerts": "rare",
}


def acting_families() -> list:
    """The executor families the shipped rules' actions belong to (rules/*.yaml, each
    action's family as shared/actions/src/catalog.rs declares it)."""
    catalog = (ROOT / "shared/actions/src/catalog.rs").read_text()
    family_of = dict(re.findall(
        r'"([a-z_.]+)",\s*(Users|Credentials|Sessions|Groups|Apps|Roles|Admin|Notify),', catalog))
    found = set()
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        for action in re.findall(r"action: ([a-z_.]+)", path.read_text()):
            assert action in family_of, f"cost.py: {path.name} acts through {action}, not in the catalog"
            found.add(family_of[action].lower())
    return sorted(found)


# ---------------------------------------------------------------- the model
def model(t: Template) -> dict:
    fns = t.functions()
    by_binary = {}
    for name, f in fns.items():
        by_binary.setdefault(f["binary"], []).append((name, f))
    executors = [f for _, f in by_binary["action-executor"]]
    router = by_binary["event-router"][0][1]
    ingest = by_binary["hook-ingest"][0][1] if "hook-ingest" in by_binary else None
    assert t.value("PollSchedule") == "rate(1 minute)", "the model assumes a poll a minute"
    names = emf_names()
    unknown = sorted(set(names) - set(METRIC_RATES))
    assert not unknown, f"cost.py: no rate for the EMF metrics {unknown} (METRIC_RATES)"
    poller_reads = (ROOT / "functions/log-poller/src/lib.rs").read_text()
    ingress = t.value("Ingress") if t.has("Ingress") else "HttpApi"
    return {
        "t": t, "functions": fns, "retention": int(t.value("LogRetentionDays")),
        "ingest": ingest, "router": router,
        "poller": by_binary["log-poller"][0][1], "executors": executors,
        "steps": PLANS_PER_EVENT * STEPS_PER_PLAN, "executor_mb": executors[0]["memory_mb"],
        "arch": router["arch"],
        "events_fifo": t.is_fifo(router["sources"][0]),
        "family_fifo": all(t.is_fifo(q) for f in executors for q in f["sources"]),
        "sources": [(q, t.is_fifo(q)) for f in fns.values() for q in f["sources"]],
        "polls": SECONDS_PER_MONTH / 60,  # PollSchedule rate(1 minute)
        "metrics": names, "essential": essential_names(),
        "metrics_level": t.value("Metrics") if t.has("Metrics") else "Full",
        "families": acting_families(),
        "alarms": len(t.of_type("AWS::CloudWatch::Alarm")),
        "dashboards": len(t.of_type("AWS::CloudWatch::Dashboard")),
        "secrets": t.billed_secrets(),
        "kms_keys": len(t.of_type("AWS::KMS::Key")),
        "tables": len(t.of_type("AWS::DynamoDB::Table")),
        "secret_ttl": int(t.value("SecretCacheSeconds")) if t.has("SecretCacheSeconds") else secret_ttl(),
        "api_gateway": ingress == "HttpApi",
        "ingress": ingress,
        "system_lines": LOG_BYTES_PER_INVOCATION if (
            not t.has("SystemLogs") or t.value("SystemLogs") == "Full") else 0,
        "router_batch_size": router_batch_size(t),
        "router_concurrency": int(t.value("RouterMaxConcurrency")),
        "poller_read_units": 0.5 if ".eventually_consistent()" in poller_reads else 1.0,
    }


def aws_member_bytes(dimension_names: list, metrics: list) -> int:
    """Bytes of an EMF line's `_aws` member and its comma, as serde_json prints it (compact):
    what Metrics Essential leaves out of a line it declares no metric of."""
    member = {"Timestamp": 1_764_547_200_000, "CloudWatchMetrics": [{
        "Namespace": "okta-hooks", "Dimensions": [dimension_names],
        "Metrics": [{"Name": n, "Unit": u} for n, u in metrics]}]}
    return len('"_aws":' + json.dumps(member, separators=(",", ":")) + ",")


def emf_cut(m: dict) -> dict:
    """Bytes each measured EMF line loses at the template's Metrics level."""
    essential = m["metrics_level"] == "Essential"
    return {kind: aws_member_bytes(*EMF_LINES[kind])
            if essential and not any(n in m["essential"] for n, _ in EMF_LINES[kind][1]) else 0
            for kind in EMF_LINES}


def router_batch_size(t: Template) -> int:
    """BatchSize of the router's events queue source."""
    block = t.resources["EventRouterFunction"]
    m = re.search(r"Queue: !GetAtt EventsQueue\.Arn\n\s+BatchSize: (\d+)", block)
    return int(m.group(1))


def poll_only_batch(m: dict, per_day: float) -> float:
    """Messages per router invocation with Ingress PollOnly: every poll puts a minute's
    events on the events queue at once (SendMessageBatch, 10 a request), and Lambda's FIFO
    pollers, at most RouterMaxConcurrency at a time, each receive up to BatchSize of them
    (a FIFO receive is filled from other message groups when one group has fewer waiting:
    AWS Knowledge Center "sqs-fifo-messages-not-returned"). Modelled as the minute's events
    shared evenly by that many receives: at least 1, at most BatchSize."""
    per_poll = per_day / (24 * 60)
    return max(1.0, min(float(m["router_batch_size"]), per_poll / m["router_concurrency"]))


def secret_ttl() -> int:
    text = (ROOT / "shared/org-secrets/src/config.rs").read_text()
    return int(re.search(r"DEFAULT_TTL: Duration = Duration::from_secs\((\d+)\)", text).group(1))


def per_million(price: float) -> str:
    text = f"{price * 1e6:.3f}"
    return f"${text[:-1] if text.endswith('0') else text} / M"


def active_share(per_hour: float) -> float:
    """The share of hours a metric receiving `per_hour` values on average (Poisson)
    receives at least one: the share of the month it is billed."""
    return 1 - math.exp(-per_hour) if per_hour > 0 else 0.0


def metric_months(m: dict, per_day: float) -> float:
    """Billed metric-months: each declared metric and dimension value, for the share of
    hours it receives a value."""
    per_hour = per_day / 24
    families = m["families"]
    steps_per_family = per_hour * m["steps"] / max(len(families), 1)
    okta_families = [f for f in families if f != "notify"]
    hook = m["ingest"] is not None
    rates = {
        "delivery": (1 if hook else 0, per_hour / EVENTS_PER_DELIVERY if hook else 0.0),
        "event": (1, per_hour),
        "plan": (1, per_hour * PLANS_PER_EVENT),
        "step": (len(families), steps_per_family),
        "okta step": (len(okta_families), steps_per_family),
        "poll with events": (1, 60 * active_share(per_hour / 60)),
        "rare": (0, 0.0),
    }
    total = 0.0
    for name in m["metrics"]:
        if m["metrics_level"] == "Essential" and name not in m["essential"]:
            continue
        kind = METRIC_RATES[name]
        if name == "EventsMissedByHook" and not hook:
            kind = "poll with events"  # Ingress PollOnly: every event the poller reads
        series, rate = rates[kind]
        total += series * active_share(rate)
    return total


def rows(m: dict) -> list:
    """(item, unit price text, per event text, quantity(events_per_day), unit price, free
    pool) for every line of the bill: cost = quantity × unit price."""
    assert m["events_fifo"] and m["family_fifo"], "the model prices the work queues as FIFO"
    steps = m["steps"]
    hook = m["ingest"] is not None  # Ingress PollOnly: no hook-ingest, no deliveries
    deliveries = 1 / EVENTS_PER_DELIVERY if hook else 0.0
    system = m["system_lines"]  # Lambda's START/END/REPORT bytes per invocation

    def router_calls(per_day: float) -> float:
        return 1 / (ROUTER_MESSAGES_PER_BATCH if hook else poll_only_batch(m, per_day))

    gb = lambda mb: mb / 1024  # noqa: E731
    # The router's time is counted per message: a batch's message groups run concurrently,
    # so a batch takes at most as long as its messages one after another.
    gbs_per_event = (
        (deliveries * gb(m["ingest"]["memory_mb"]) * INGEST_MS / 1000 if hook else 0.0)
        + gb(m["router"]["memory_mb"]) * ROUTER_MS / 1000
        + steps * gb(m["executor_mb"]) * STEP_MS / 1000
    )
    poll_gbs = m["polls"] * gb(m["poller"]["memory_mb"]) * POLL_MS / 1000

    def invocations_per_event(per_day: float) -> float:
        return deliveries + router_calls(per_day) + steps

    # ingest: one SendMessageBatch per delivery; router: Lambda's receive + delete per batch;
    # a step: send (router or previous step) + receive + delete; poller: its copy, batched.
    def sqs_per_event(per_day: float) -> float:
        return (deliveries + 2 * router_calls(per_day) + 3 * steps
                + POLLED_EVENTS_PER_EVENT / SQS_BATCH)

    idle_month = IDLE_RECEIVES_PER_MINUTE_PER_SOURCE * 60 * 24 * DAYS_PER_MONTH
    idle_fifo = sum(idle_month for _, fifo in m["sources"] if fifo)
    idle_standard = sum(idle_month for _, fifo in m["sources"] if not fifo)
    idle_price = (idle_fifo * SQS_FIFO_PER_REQUEST + idle_standard * SQS_STANDARD_PER_REQUEST) / (
        idle_fifo + idle_standard)
    # router: ledger GetItem (strongly consistent: 1 RRU) + conditional PutItem; thresholds:
    # window GetItem + UpdateItem; counters: UpdateItem per destructive plan; steps: claim
    # (UpdateItem) + complete (PutItem); poller: ledger GetItem per event read.
    writes = 1 + THRESHOLD_EVENT_SHARE + PLANS_PER_EVENT * DESTRUCTIVE_PLAN_SHARE + 2 * steps
    reads = 1 + THRESHOLD_EVENT_SHARE + POLLED_EVENTS_PER_EVENT * m["poller_read_units"]
    ledger_days = 14  # OKTA_HOOKS_LEDGER_TTL_DAYS default (shared/router/src/config.rs)
    cut = emf_cut(m)

    def log_bytes_per_event(per_day: float) -> float:
        return (
            deliveries * (system + LOG_BYTES_INGEST_PER_DELIVERY - cut["delivery"])
            + router_calls(per_day) * system + LOG_BYTES_ROUTER_PER_EVENT - cut["event"]
            + PLANS_PER_EVENT * LOG_BYTES_ROUTER_PER_PLAN
            + steps * (system + LOG_BYTES_PER_STEP - cut["step"])
        )

    poll_log_bytes = m["polls"] * (system + LOG_BYTES_PER_POLL)
    retention = m["retention"]
    warm_reads = SECONDS_PER_MONTH / m["secret_ttl"]  # per secret, per warm instance
    fns = m["functions"]

    def secret_calls(per_day: int) -> float:
        month = per_day * DAYS_PER_MONTH
        calls = 0.0
        for f in fns.values():
            b = f["binary"]
            if b == "hook-ingest":
                inv = month * deliveries
            elif b == "event-router":
                inv = month * router_calls(per_day)
            elif b == "log-poller":
                inv = m["polls"]
            elif b == "action-executor":
                inv = month * steps / len(m["executors"])
            else:
                inv = 0  # hook-verify: once, when the hook is verified
            calls += f["secret_kinds"] * min(inv, warm_reads)
        return calls

    def month(per_day):
        return per_day * DAYS_PER_MONTH

    def log_gb_day(per_day):
        return (per_day * log_bytes_per_event(per_day) + poll_log_bytes / DAYS_PER_MONTH) / 1e9

    def span(per_event, fmt="{:.3g}") -> str:
        """A per-event figure, or its range over the volumes when it depends on them."""
        values = sorted({per_event(v) for v in VOLUMES})
        return (fmt.format(values[0]) if len(values) == 1
                else f"{fmt.format(values[0])}–{fmt.format(values[-1])}")

    secrets, who = m["secrets"]
    level = m["metrics_level"]
    declared = [n for n in m["metrics"] if level == "Full" or n in m["essential"]]
    out = []
    if m["api_gateway"]:
        out.append(("API Gateway HTTP API", per_million(HTTP_API_PER_REQUEST), f"{deliveries:g} request",
                    lambda d: month(d) * deliveries, HTTP_API_PER_REQUEST, None))
    else:
        out.append((f"API Gateway: none (Ingress {m['ingress']})", "-", "-", lambda d: 0, 0, None))
    out += [
        ("Lambda requests", per_million(LAMBDA_PER_REQUEST), f"{span(invocations_per_event)} + a poll a minute",
         lambda d: month(d) * invocations_per_event(d) + m["polls"], LAMBDA_PER_REQUEST, "lambda_requests"),
        (f"Lambda {m['arch']} compute", f"${LAMBDA_PER_GB_S[m['arch']]:.10f} / GB-s",
         f"{gbs_per_event:.5f} GB-s",
         lambda d: month(d) * gbs_per_event + poll_gbs, LAMBDA_PER_GB_S[m["arch"]], "lambda_gbs"),
        ("SQS FIFO requests", per_million(SQS_FIFO_PER_REQUEST), span(sqs_per_event),
         lambda d: month(d) * sqs_per_event(d), SQS_FIFO_PER_REQUEST, "sqs_requests"),
        (f"SQS idle long polling ({len(m['sources'])} sources)",
         f"{per_million(SQS_FIFO_PER_REQUEST)} (standard {per_million(SQS_STANDARD_PER_REQUEST)})",
         "-", lambda d: idle_fifo + idle_standard, idle_price, "sqs_requests"),
        ("DynamoDB writes (on demand)", per_million(DYNAMODB_PER_WRITE_UNIT), f"{writes:g}",
         lambda d: month(d) * writes, DYNAMODB_PER_WRITE_UNIT, None),
        ("DynamoDB reads (on demand)", per_million(DYNAMODB_PER_READ_UNIT), f"{reads:g}",
         lambda d: month(d) * reads, DYNAMODB_PER_READ_UNIT, None),
        (f"DynamoDB storage (ledger {ledger_days} days)", f"${DYNAMODB_PER_GB_MONTH:.2f} / GB-month",
         f"{LEDGER_ITEM_BYTES} B",
         lambda d: d * ledger_days * LEDGER_ITEM_BYTES / 1e9, DYNAMODB_PER_GB_MONTH, "dynamodb_gb"),
        (f"Secrets Manager ({secrets} secret{'s' if secrets != 1 else ''}, {who})",
         f"${SECRET_PER_MONTH:.2f} / secret-month", "-", lambda d: secrets, SECRET_PER_MONTH, None),
        (f"Secrets Manager calls (cached {m['secret_ttl']} s)", f"${SECRETS_PER_API_CALL * 1e4:.2f} / 10k", "-",
         secret_calls, SECRETS_PER_API_CALL, None),
        ("EventBridge results", per_million(EVENTBRIDGE_PER_EVENT), f"{PLANS_PER_EVENT:g}",
         lambda d: month(d) * PLANS_PER_EVENT, EVENTBRIDGE_PER_EVENT, None),
        ("CloudWatch Logs ingestion", f"${LOGS_INGESTION_PER_GB:.2f} / GB",
         span(log_bytes_per_event, "{:,.0f}") + " B",
         lambda d: log_gb_day(d) * DAYS_PER_MONTH, LOGS_INGESTION_PER_GB, "logs_gb"),
        (f"CloudWatch Logs storage ({retention} days)", f"${LOGS_STORAGE_PER_GB_MONTH:.2f} / GB-month", "-",
         lambda d: log_gb_day(d) * retention * LOG_STORED_FRACTION, LOGS_STORAGE_PER_GB_MONTH, "logs_gb"),
        (f"CloudWatch alarms ({m['alarms']})", f"${ALARM_PER_MONTH:.2f} / alarm-month", "-",
         lambda d: m["alarms"], ALARM_PER_MONTH, "alarms"),
        (f"CloudWatch EMF metrics ({level}: {len(declared)} names)",
         f"${METRIC_PER_MONTH:.2f} / metric-month", "-",
         lambda d: metric_months(m, d), METRIC_PER_MONTH, "metrics"),
        (f"CloudWatch dashboards ({m['dashboards']})", f"${DASHBOARD_PER_MONTH:.2f} / month", "-",
         lambda d: m["dashboards"], DASHBOARD_PER_MONTH, "dashboards"),
    ]
    if m["kms_keys"]:
        out.append((f"KMS keys ({m['kms_keys']}, KmsKeyArn create)", f"${KMS_KEY_PER_MONTH:.2f} / key-month",
                    "-", lambda d: m["kms_keys"], KMS_KEY_PER_MONTH, None))
    return out


def bill(m: dict, per_day: int) -> tuple:
    """(total, total with the always-free tier) for one volume."""
    total, pools = 0.0, {}
    for _, _, _, quantity, unit, pool in rows(m):
        q = quantity(per_day)
        total += q * unit
        if pool:
            pools.setdefault(pool, []).append((q, unit))
    free = 0.0
    for pool, items in pools.items():
        left = ALWAYS_FREE[pool]
        # The free quantity goes to the dearest use first (what AWS bills last is the
        # same count at whatever unit price; the saving is at most this).
        for q, unit in sorted(items, key=lambda i: -i[1]):
            take = min(q, left)
            free += take * unit
            left -= take
    return total, total - free


# ---------------------------------------------------------------- output
def money(v: float) -> str:
    return f"${v:,.2f}"


def table(m: dict) -> tuple:
    head = ["Item", "Price", "Per event"] + [f"{v // 1000}k/day" for v in VOLUMES]
    body, totals = [], [0.0] * len(VOLUMES)
    for item, price, per_event, quantity, unit, _ in rows(m):
        values = [quantity(v) * unit for v in VOLUMES]
        totals = [a + b for a, b in zip(totals, values)]
        body.append([item, price, per_event] + [money(v) for v in values])
    total = ["Total per month", "", ""] + [money(v) for v in totals]
    return head, body, total


def cheapest_overrides(t: Template) -> list:
    families = ",".join(acting_families())
    return [(p, families if v is None else v, why) for p, v, why in CHEAPEST if t.has(p)]


def summary(default: dict, cheap: dict) -> tuple:
    """The totals of both configurations, the free-tier line and the targets."""
    head = ["Configuration"] + [f"{v // 1000}k/day" for v in VOLUMES]
    d = [bill(default, v) for v in VOLUMES]
    c = [bill(cheap, v) for v in VOLUMES]
    body = [
        ["defaults"] + [money(x[0]) for x in d],
        ["cheapest options"] + [money(x[0]) for x in c],
        ["cheapest, with the always-free tier"] + [money(x[1]) for x in c],
    ]
    if cheap["ingress"] == "PollOnly":
        # What the hook's seconds-level latency costs: the same options, Ingress FunctionUrl.
        hook = model(Template(cheap["t"].path, {**cheap["t"].overrides, "Ingress": "FunctionUrl"}))
        body.append(["cheapest keeping the hook (Ingress FunctionUrl)"]
                    + [money(bill(hook, v)[0]) for v in VOLUMES])
        # The PollOnly batches are a model (poll_only_batch): at half of them.
        half = [halved_batch_bill(cheap, v) for v in VOLUMES]
        body.append(["cheapest, router batches half as large"] + [money(x) for x in half])
    body += [
        ["target (cheapest)"] + [f"≤ {money(TARGETS[v])}" if v in TARGETS else "-" for v in VOLUMES],
    ]
    return head, body, c


def halved_batch_bill(m: dict, per_day: int) -> float:
    """`bill` at list prices with Ingress PollOnly's router batches half as large as
    poll_only_batch models them (at least 1)."""
    global poll_only_batch
    modelled = poll_only_batch
    poll_only_batch = lambda m_, d: max(1.0, modelled(m_, d) / 2)  # noqa: E731
    try:
        return bill(m, per_day)[0]
    finally:
        poll_only_batch = modelled


def batch_note(cheap: dict) -> list:
    """With Ingress PollOnly among the cheapest options: what its modelled batches carry."""
    if cheap["ingress"] != "PollOnly":
        return []
    v = max(TARGETS)
    return [f"Ingress PollOnly's saving rests on the router's batches (modelled, not measured;"
            f" see the assumptions): at half those batches {v // 1000}k events a day cost"
            f" {money(halved_batch_bill(cheap, v))}."]


def verdicts(cheap_bills: list) -> list:
    out = []
    for v, (total, free) in zip(VOLUMES, cheap_bills):
        if v not in TARGETS:
            continue
        target = TARGETS[v]
        if total <= target:
            out.append(f"{v // 1000}k events a day: met at list prices ({money(total)} ≤ {money(target)}).")
        elif free <= target:
            out.append(f"{v // 1000}k events a day: met only with the always-free tier"
                       f" ({money(free)} ≤ {money(target)}; {money(total)} at list prices).")
        else:
            out.append(f"{v // 1000}k events a day: NOT met ({money(total)}; {money(free)} with the"
                       f" always-free tier; target {money(target)}).")
    return out


def what_it_would_take(cheap: dict) -> list:
    """The levers left when a target is not met, priced from the model."""
    per_day = 400_000
    month = per_day * DAYS_PER_MONTH
    batched = batched_bill(cheap, per_day, 10)
    return [
        f"At 400k the per-event work dominates (SQS ~{month * 3.4 / 1e6:.0f}M requests, the ledger's"
        f" {month / 1e6:.0f}M writes, ~{month * 2.1 / 1e6:.0f}M invocations, logs). If Okta's"
        " deliveries carried 10 events each (one request, invocation and SQS send per"
        " delivery) and the router received batches of 10 (one receive and delete per"
        f" batch), the cheapest options would cost {money(batched[0])} ({money(batched[1])} with"
        " the always-free tier): the template allows it (BatchSize), Okta's batching decides"
        " it and no measurement says it does. Below that: fewer SQS requests per event (a"
        " standard events queue: no FIFO premium, no per-subject order) or no ledger write"
        " for events no rule acts on (the poller's missed-by-hook count reads those marks).",
        "Logs: LogLevel warn drops the audit lines (the audit trail); not offered.",
    ]


def batched_bill(m: dict, per_day: int, batch: int) -> tuple:
    """`bill` with `batch` events per delivery and messages per router batch."""
    global EVENTS_PER_DELIVERY, ROUTER_MESSAGES_PER_BATCH
    saved = EVENTS_PER_DELIVERY, ROUTER_MESSAGES_PER_BATCH
    EVENTS_PER_DELIVERY = ROUTER_MESSAGES_PER_BATCH = float(batch)
    try:
        return bill(m, per_day)
    finally:
        EVENTS_PER_DELIVERY, ROUTER_MESSAGES_PER_BATCH = saved


def assumptions(m: dict) -> list:
    f = m["functions"]
    mem = sorted({v["memory_mb"] for v in f.values()})
    return [
        f"{REGION} prices of {PRICES_AS_OF}, no free tier in the tables; {DAYS_PER_MONTH}-day months;"
        f" every function {m['arch']}, {'/'.join(map(str, mem))} MB (template).",
        f"{EVENTS_PER_DELIVERY:g} event per Okta delivery; {PLANS_PER_EVENT:.0%} of events"
        f" match a rule, {STEPS_PER_PLAN:g} steps per plan ({m['steps']:g} step per event);"
        f" with a hook, {ROUTER_MESSAGES_PER_BATCH:g} message per router batch (an event arrives"
        " alone, and a long poll returns as soon as one is there).",
        "Ingress PollOnly: no deliveries; each poll puts a minute's events on the events queue at"
        f" once and Lambda's FIFO pollers (at most RouterMaxConcurrency, {m['router_concurrency']})"
        f" each receive up to BatchSize ({m['router_batch_size']}) of them, since SQS fills a FIFO"
        " receive from other message groups (AWS Knowledge Center"
        " \"sqs-fifo-messages-not-returned\"): modelled as the minute's events shared evenly by"
        " that many receives, "
        + " / ".join(f"{poll_only_batch(m, v):.3g}" for v in VOLUMES)
        + f" messages per router batch at {' / '.join(f'{v // 1000}k' for v in VOLUMES)}"
        " (not measured; the summary shows the bill at half those batches).",
        f"Run time: ingest {INGEST_MS} ms, router {ROUTER_MS} ms a message, a step {STEP_MS} ms,"
        f" a poll {POLL_MS} ms (every minute).",
        "SQS per event: the delivery's SendMessageBatch, the router's receive and delete per"
        " batch, send + receive + delete per step, the poller's batched copy (dropped by FIFO"
        " dedup; with Ingress PollOnly the only copy);"
        f" idle: {IDLE_RECEIVES_PER_MINUTE_PER_SOURCE} empty long polls a minute per event source.",
        "DynamoDB per event: the router's ledger GetItem (strongly consistent) + one conditional"
        f" PutItem of key and TTL; {THRESHOLD_EVENT_SHARE:.0%} counted by a"
        f" threshold rule (GetItem + UpdateItem); {DESTRUCTIVE_PLAN_SHARE:.0%} of plans take the"
        " hourly counter; claim + complete per step; the poller's ledger GetItem per event read"
        f" ({'eventually consistent, half a unit' if m['poller_read_units'] < 1 else 'one unit'}).",
        f"Logs: {LOG_BYTES_PER_INVOCATION} B of Lambda lines per invocation (none with SystemLogs"
        " WarningsOnly: at system log level WARN Lambda sends no START, END or REPORT line,"
        " Lambda developer guide \"Log-level filtering\"); the functions' lines"
        " as the local stack's logs measure them (per delivery, event, plan and step); with"
        " Metrics Essential their EMF lines carry no _aws member (shared/emf line_at): "
        + ", ".join(f"{aws_member_bytes(*EMF_LINES[k])} B less per {k}" for k in EMF_LINES)
        + ";"
        f" kept {m['retention']} days"
        f" (LogRetentionDays), stored at {LOG_STORED_FRACTION:.0%} of their size (compressed).",
        "Secrets: each warm function re-reads each of its secrets when its cache expires"
        " (SecretCacheSeconds).",
        f"EMF metrics: the {len(m['metrics'])} names the functions print (hook-receiver ingest.rs,"
        " event-router lib.rs, step-runner audit.rs per family, log-polling metrics.rs), each"
        " billed for the hours it receives a value (a Poisson share at each volume); per family"
        f" for the {len(m['families'])} families the shipped rules act through"
        f" ({', '.join(m['families'])}), steps spread evenly; metrics printed only when"
        " something fails or is refused (429s, dead letters, alerts, …) are not counted"
        f" (${METRIC_PER_MONTH / HOURS_PER_MONTH:.4f} per metric-hour they happen).",
        "Alarms: one per DLQ, per function's Errors and Okta's alerts; one metric-math alarm"
        " over N metrics is billed as N alarms, so merging them saves nothing.",
        "KMS: KmsKeyArn \"\" (default) uses AWS-managed keys (no charge); \"create\" adds"
        f" ${KMS_KEY_PER_MONTH:.2f} a month for the stack's key (a KMS keys row then shows).",
        "Always-free tier (every account, shared with its other workloads): Lambda 1M requests"
        " and 400,000 GB-s, SQS 1M requests, CloudWatch 10 metrics, 10 alarms, 3 dashboards and"
        " 5 GB of logs, DynamoDB 25 GB of storage.",
    ]


def cheapest_lines(cheap: dict) -> list:
    t = cheap["t"]
    return [f"{p}={v}: {why}." for p, v, why in cheapest_overrides(t)]


def render_table_text(head, body, total=None) -> list:
    rows_ = [head] + body + ([total] if total else [])
    widths = [max(len(r[i]) for r in rows_) for i in range(len(head))]
    numeric = len(head) - len(VOLUMES)
    out = []
    for n, r in enumerate(rows_):
        cells = [c.ljust(w) if i < numeric else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
        if n == 0 or (total and n == len(rows_) - 2):
            out.append("  ".join("-" * w for w in widths))
    return out


def configurations(path: Path) -> tuple:
    default = model(Template(path))
    base = Template(path)
    cheap = model(Template(path, {p: v for p, v, _ in cheapest_overrides(base)}))
    return default, cheap


def render_text(path: Path) -> str:
    default, cheap = configurations(path)
    out = [f"# {a}" for a in assumptions(default)]
    out += ["", "Defaults (the template's parameter defaults):", ""]
    out += render_table_text(*table(default))
    out += ["", "Cheapest options:", ""]
    out += [f"  {line}" for line in cheapest_lines(cheap)]
    out += [""]
    head, body, total = table(cheap)
    out += render_table_text(["Item (cheapest)"] + head[1:], body, ["Total, cheapest"] + total[1:])
    head, body, c = summary(default, cheap)
    out += ["", "Per month:", ""]
    out += render_table_text(head, body)
    out += [""] + verdicts(c) + batch_note(cheap)
    if any(t > TARGETS[v] for v, (t, _) in zip(VOLUMES, c) if v in TARGETS):
        out += ["", "What it would take:"] + [f"  {line}" for line in what_it_would_take(cheap)]
    return "\n".join(out) + "\n"


GENERATED_MARK = "<!-- generated by `make cost`"


def md_table(head, body, total=None) -> list:
    numeric = len(head) - len(VOLUMES)
    out = ["| " + " | ".join(head) + " |",
           "| " + " | ".join(["---"] * numeric + ["---:"] * len(VOLUMES)) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in body]
    if total:
        out.append("| " + " | ".join(f"**{c}**" if c else "" for c in total) + " |")
    return out


def render_markdown(path: Path) -> str:
    default, cheap = configurations(path)
    head, body, c = summary(default, cheap)
    out = [
        GENERATED_MARK + " (scripts/cost.py --update-readme);"
        " integration-tests/tests/it/cost.rs checks it is current -->",
        "",
    ]
    out += md_table(head, body)
    out += [""] + [f"- {v}" for v in verdicts(c) + batch_note(cheap)]
    if any(t > TARGETS[v] for v, (t, _) in zip(VOLUMES, c) if v in TARGETS):
        out += ["", "What it would take:", ""] + [f"- {line}" for line in what_it_would_take(cheap)]
    out += ["", "The cheapest options (template parameters) and what each gives up:", ""]
    out += [f"- `{line.split(':', 1)[0]}`:{line.split(':', 1)[1]}" for line in cheapest_lines(cheap)]
    out += ["", "Assumptions:", ""] + [f"- {a}" for a in assumptions(default)]
    out += ["", "With the defaults:", ""]
    out += md_table(*table(default))
    out += ["", "With the cheapest options:", ""]
    head, body, total = table(cheap)
    out += md_table(["Item (cheapest)"] + head[1:], body, ["Total, cheapest"] + total[1:])
    return "\n".join(out) + "\n"


def update_readme(generated: str) -> None:
    """Replaces README.md's generated block: from the `generated by` comment through the
    last Total row."""
    readme = ROOT / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    start = next(i for i, l in enumerate(lines) if l.startswith(GENERATED_MARK))
    end = next(i for i in range(start, len(lines))
               if lines[i].startswith("| **Total, cheapest**")
               or (lines[i].startswith("| **Total per month**")
                   and not any(l.startswith("| **Total, cheapest**") for l in lines[i:])))
    lines[start:end + 1] = [generated]
    readme.write_text("".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=["text", "markdown"], default="text")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--update-readme", action="store_true",
                        help="replace the generated section in README.md with the markdown output")
    args = parser.parse_args()
    if args.update_readme:
        update_readme(render_markdown(args.template))
        return 0
    sys.stdout.write(render_markdown(args.template) if args.format == "markdown"
                     else render_text(args.template))
    return 0


if __name__ == "__main__":
    sys.exit(main())
