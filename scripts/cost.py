#!/usr/bin/env python3
"""`make cost`: what okta-hooks costs on AWS per month, from the template's own settings.

Reads infra/template.yaml (memory sizes, architectures, timeouts, SQS event sources and their
batch sizes, queue kinds, tables, secrets, alarms, dashboards, log retention) and the EMF
metric names in the Rust sources, then prices 10k, 100k and 400k events a day with the unit
prices and per-event assumptions below. `--format markdown` prints the README section
(README.md "What it costs"; integration-tests/tests/it/cost.rs checks it is current).

Python 3 standard library only: the template is read line by line (its resources are blocks
at two spaces of indentation), not with a YAML parser.
"""

import argparse
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"

# ---------------------------------------------------------------- unit prices
# AWS's public prices, region us-east-1, read 2026-12-01; no free tier counted.
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
# "Amazon DynamoDB pricing for on-demand capacity": per write / read request unit, and
# storage per GB-month (Standard table class).
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1e6
DYNAMODB_PER_READ_UNIT = 0.125 / 1e6
DYNAMODB_PER_GB_MONTH = 0.25
# "AWS Secrets Manager pricing": per secret-month, per 10,000 API calls.
SECRET_PER_MONTH = 0.40
SECRETS_PER_API_CALL = 0.05 / 10_000
# "Amazon CloudWatch pricing": Logs (Standard) ingestion per GB and storage per GB-month
# (compressed); a standard-resolution alarm per month; a custom metric per month (first
# 10,000, prorated by the hour); a dashboard per month (the first 3 of an account are free:
# not counted).
LOGS_INGESTION_PER_GB = 0.50
LOGS_STORAGE_PER_GB_MONTH = 0.03
ALARM_PER_MONTH = 0.10
METRIC_PER_MONTH = 0.30
DASHBOARD_PER_MONTH = 3.00
# "Amazon EventBridge pricing": custom events published with PutEvents (64 KB chunks).
EVENTBRIDGE_PER_EVENT = 1.00 / 1e6

# ---------------------------------------------------------------- per-event assumptions
DAYS_PER_MONTH = 30
VOLUMES = (10_000, 100_000, 400_000)  # events a day (400k: Okta's event hook cap per org)
# Okta sends up to 50 events per delivery under load; at these rates mostly one.
EVENTS_PER_DELIVERY = 1.0
# Share of events a rule acts on, and steps per plan.
PLANS_PER_EVENT = 0.05
STEPS_PER_PLAN = 2.0
# Messages per router invocation: BatchSize (template) is the most; at these rates a
# FIFO message group rarely has more than one waiting.
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
# Log bytes: Lambda's START/END/REPORT lines per invocation (on AWS); the functions' own
# lines as measured in the local stack's logs (stack_flow, <state>.logs/*.log, 2026-12-01):
# hook-ingest per delivery "delivery enqueued" 335 B + EMF 399 B; event-router per event
# EMF 422 B, per plan "plan routed" 562 B; a step "action" 720 B + "step sent" 520 B + EMF
# 285 B; a poll (per org) its report line and EMF line.
LOG_BYTES_PER_INVOCATION = 300
LOG_BYTES_INGEST_PER_DELIVERY = 335 + 399
LOG_BYTES_ROUTER_PER_EVENT = 422
LOG_BYTES_ROUTER_PER_PLAN = 562
LOG_BYTES_PER_STEP = 720 + 520 + 285
LOG_BYTES_PER_POLL = 800
# CloudWatch Logs bills stored bytes compressed; JSON lines compress at least this well.
LOG_STORED_FRACTION = 0.25
# Ledger items (event uuid, TTL) are under 1 KB: one request unit each; stored ~150 B.
LEDGER_ITEM_BYTES = 150
# Lambda's SQS pollers: idle long polls (20 s) of each event source, 5 pollers.
IDLE_RECEIVES_PER_MINUTE_PER_SOURCE = 15
# The log-poller reads every event the hook delivers (same types) and looks each up in the
# ledger; its copy of an event is dropped by the FIFO queue's 5-minute deduplication.
POLLED_EVENTS_PER_EVENT = 1.0
SQS_BATCH = 10  # SendMessageBatch entries (shared/fifo-queue send_all)
SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400


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


class Template:
    def __init__(self, path: Path):
        text = path.read_text()
        self.parameters = blocks(text, "Parameters")
        self.resources = blocks(text, "Resources")
        self.globals = blocks(text, "Globals").get("Function", "")

    def default(self, parameter: str) -> str:
        return field(self.parameters[parameter], "Default").strip('"')

    def of_type(self, kind: str) -> dict:
        return {n: b for n, b in self.resources.items() if f"Type: {kind}" in b}

    def function_setting(self, block: str, key: str) -> str:
        return field(block, key) or field(self.globals, key)

    def functions(self) -> dict:
        out = {}
        for name, block in self.of_type("AWS::Serverless::Function").items():
            arch = re.search(r"Architectures: \[(\w+)\]", block) or re.search(
                r"Architectures: \[(\w+)\]", self.globals)
            sources = re.findall(r"Queue: !GetAtt (\w+)\.Arn", block)
            out[name] = {
                "binary": field(block, "Binary"),
                "memory_mb": int(self.function_setting(block, "MemorySize")),
                "timeout_s": int(self.function_setting(block, "Timeout")),
                "arch": arch.group(1),
                "sources": sources,
                "batch_size": [int(b) for b in re.findall(r"BatchSize: (\d+)", block)],
                "secret_kinds": secret_kinds(block),
            }
        return out

    def is_fifo(self, queue: str) -> bool:
        return "FifoQueue: true" in self.resources[queue]

    def created_secrets(self) -> int:
        """Secrets the stack creates with the defaults (CreateOrgSecrets "true", no legacy)."""
        count = 0
        for block in self.of_type("AWS::SecretsManager::Secret").values():
            condition = field(block, "Condition")
            if condition in (None, "CreateOrgSecrets"):
                count += 1
        return count


def secret_kinds(block: str) -> int:
    """Secrets a function reads with the default parameters: its Read*Secrets policies,
    unconditional or under SharedCredential (ExecutorCredentials Shared)."""
    kinds = 0
    for line in block.splitlines():
        if not re.search(r"!Ref Read\w+Secrets", line):
            continue
        if "!If" in line and "SharedCredential" not in line:
            continue  # PerFamily / legacy: off by default
        kinds += 1
    return kinds


def emf_metrics(functions: dict) -> list:
    """(name, dimension values) of every EMF metric the functions print, from the sources."""
    executors = sum(1 for f in functions.values() if f["binary"] == "action-executor")
    # The file that prints them, and how many values their dimension takes by default.
    sources = {
        "shared/hook-receiver/src/ingest.rs": 1,  # function=hook-ingest (code, reason: counted once)
        "functions/event-router/src/lib.rs": 1,  # function=event-router
        "shared/step-runner/src/audit.rs": executors,  # family
        "shared/log-polling/src/metrics.rs": 1,  # org: OrgName
    }
    found = []
    for path, values in sources.items():
        text = (ROOT / path).read_text()
        text = text.split("#[cfg(test)]")[0]
        names = re.findall(r'(?:emf::(?:count|millis|seconds)\(\s*|=> )"([A-Z][A-Za-z]+)"', text)
        for name in sorted(set(names)):
            found.append((name, values, path))
    return found


# ---------------------------------------------------------------- the model
def model(t: Template) -> dict:
    fns = t.functions()
    retention = int(t.default("LogRetentionDays"))
    by_binary = {}
    for name, f in fns.items():
        by_binary.setdefault(f["binary"], []).append((name, f))
    ingest = by_binary["hook-ingest"][0][1]
    router = by_binary["event-router"][0][1]
    poller = by_binary["log-poller"][0][1]
    executors = [f for _, f in by_binary["action-executor"]]
    steps = PLANS_PER_EVENT * STEPS_PER_PLAN
    executor_mb = executors[0]["memory_mb"]
    arch = ingest["arch"]
    events_fifo = t.is_fifo(router["sources"][0])
    family_fifo = all(t.is_fifo(f["sources"][0]) for f in executors)
    sources = [(q, t.is_fifo(q)) for f in fns.values() for q in f["sources"]]
    polls = SECONDS_PER_MONTH / 60  # PollSchedule rate(1 minute)
    assert t.default("PollSchedule") == "rate(1 minute)", "the model assumes a poll a minute"
    metrics = emf_metrics(fns)
    return {
        "functions": fns, "retention": retention, "ingest": ingest, "router": router,
        "poller": poller, "executors": executors, "steps": steps, "executor_mb": executor_mb,
        "arch": arch, "events_fifo": events_fifo, "family_fifo": family_fifo,
        "sources": sources, "polls": polls, "metrics": metrics,
        "alarms": len(t.of_type("AWS::CloudWatch::Alarm")),
        "dashboards": len(t.of_type("AWS::CloudWatch::Dashboard")),
        "secrets": t.created_secrets(),
        "log_groups": len(t.of_type("AWS::Logs::LogGroup")),
        "tables": len(t.of_type("AWS::DynamoDB::Table")),
        "secret_ttl": secret_ttl(),
    }


def secret_ttl() -> int:
    text = (ROOT / "shared/org-secrets/src/config.rs").read_text()
    return int(re.search(r"DEFAULT_TTL: Duration = Duration::from_secs\((\d+)\)", text).group(1))


def per_million(price: float) -> str:
    text = f"{price * 1e6:.3f}"
    return f"${text[:-1] if text.endswith('0') else text} / M"


def rows(m: dict) -> list:
    """(item, unit price, per event, cost(events_per_day) -> $) for every line of the bill."""
    assert m["events_fifo"] and m["family_fifo"], "the model prices the work queues as FIFO"
    steps = m["steps"]
    deliveries = 1 / EVENTS_PER_DELIVERY
    router_calls = 1 / ROUTER_MESSAGES_PER_BATCH
    gb = lambda mb: mb / 1024  # noqa: E731
    gbs_per_event = (
        deliveries * gb(m["ingest"]["memory_mb"]) * INGEST_MS / 1000
        + router_calls * gb(m["router"]["memory_mb"]) * ROUTER_MS / 1000
        + steps * gb(m["executor_mb"]) * STEP_MS / 1000
    )
    poll_gbs = m["polls"] * gb(m["poller"]["memory_mb"]) * POLL_MS / 1000
    invocations_per_event = deliveries + router_calls + steps
    fifo = SQS_FIFO_PER_REQUEST
    # ingest: one SendMessageBatch per delivery; router: Lambda's receive + delete per batch;
    # a step: send (router or previous step) + receive + delete; poller: its copy, batched.
    sqs_per_event = deliveries + 2 * router_calls + 3 * steps + POLLED_EVENTS_PER_EVENT / SQS_BATCH
    idle = sum(
        IDLE_RECEIVES_PER_MINUTE_PER_SOURCE * 60 * 24 * DAYS_PER_MONTH
        * (SQS_FIFO_PER_REQUEST if is_fifo else SQS_STANDARD_PER_REQUEST)
        for _, is_fifo in m["sources"]
    )
    # router: ledger GetItem (consistent: 1 RRU) + PutItem; thresholds: window GetItem +
    # UpdateItem; counters: UpdateItem per destructive plan; steps: claim (UpdateItem) +
    # complete (PutItem); poller: ledger GetItem per event read.
    writes = 1 + THRESHOLD_EVENT_SHARE + PLANS_PER_EVENT * DESTRUCTIVE_PLAN_SHARE + 2 * steps
    reads = 1 + THRESHOLD_EVENT_SHARE + POLLED_EVENTS_PER_EVENT
    ledger_days = 14  # OKTA_HOOKS_LEDGER_TTL_DAYS default (shared/router/src/config.rs)
    log_bytes_per_event = (
        deliveries * (LOG_BYTES_PER_INVOCATION + LOG_BYTES_INGEST_PER_DELIVERY)
        + router_calls * LOG_BYTES_PER_INVOCATION + LOG_BYTES_ROUTER_PER_EVENT
        + PLANS_PER_EVENT * LOG_BYTES_ROUTER_PER_PLAN
        + steps * (LOG_BYTES_PER_INVOCATION + LOG_BYTES_PER_STEP)
    )
    poll_log_bytes = m["polls"] * (LOG_BYTES_PER_INVOCATION + LOG_BYTES_PER_POLL)
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
                inv = month * router_calls
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
        return (per_day * log_bytes_per_event + poll_log_bytes / DAYS_PER_MONTH) / 1e9

    metric_count = sum(v for _, v, _ in m["metrics"])
    return [
        ("API Gateway HTTP API", per_million(HTTP_API_PER_REQUEST), f"{deliveries:g} request",
         lambda d: month(d) * deliveries * HTTP_API_PER_REQUEST),
        ("Lambda requests", per_million(LAMBDA_PER_REQUEST), f"{invocations_per_event:g} + a poll a minute",
         lambda d: (month(d) * invocations_per_event + m["polls"]) * LAMBDA_PER_REQUEST),
        (f"Lambda {m['arch']} compute", f"${LAMBDA_PER_GB_S[m['arch']]:.10f} / GB-s",
         f"{gbs_per_event:.5f} GB-s",
         lambda d: (month(d) * gbs_per_event + poll_gbs) * LAMBDA_PER_GB_S[m["arch"]]),
        ("SQS FIFO requests", per_million(SQS_FIFO_PER_REQUEST), f"{sqs_per_event:g}",
         lambda d: month(d) * sqs_per_event * fifo),
        (f"SQS idle long polling ({len(m['sources'])} sources)", f"{per_million(SQS_FIFO_PER_REQUEST)} (standard {per_million(SQS_STANDARD_PER_REQUEST)})",
         "-", lambda d: idle),
        ("DynamoDB writes (on demand)", per_million(DYNAMODB_PER_WRITE_UNIT), f"{writes:g}",
         lambda d: month(d) * writes * DYNAMODB_PER_WRITE_UNIT),
        ("DynamoDB reads (on demand)", per_million(DYNAMODB_PER_READ_UNIT), f"{reads:g}",
         lambda d: month(d) * reads * DYNAMODB_PER_READ_UNIT),
        (f"DynamoDB storage (ledger {ledger_days} days)", f"${DYNAMODB_PER_GB_MONTH:.2f} / GB-month",
         f"{LEDGER_ITEM_BYTES} B",
         lambda d: d * ledger_days * LEDGER_ITEM_BYTES / 1e9 * DYNAMODB_PER_GB_MONTH),
        (f"Secrets Manager ({m['secrets']} secrets)", f"${SECRET_PER_MONTH:.2f} / secret-month",
         "-", lambda d: m["secrets"] * SECRET_PER_MONTH),
        (f"Secrets Manager calls (cached {m['secret_ttl']} s)", f"${SECRETS_PER_API_CALL * 1e4:.2f} / 10k", "-",
         lambda d: secret_calls(d) * SECRETS_PER_API_CALL),
        ("EventBridge results", per_million(EVENTBRIDGE_PER_EVENT), f"{PLANS_PER_EVENT:g}",
         lambda d: month(d) * PLANS_PER_EVENT * EVENTBRIDGE_PER_EVENT),
        ("CloudWatch Logs ingestion", f"${LOGS_INGESTION_PER_GB:.2f} / GB", f"{log_bytes_per_event:,.0f} B",
         lambda d: log_gb_day(d) * DAYS_PER_MONTH * LOGS_INGESTION_PER_GB),
        (f"CloudWatch Logs storage ({retention} days)", f"${LOGS_STORAGE_PER_GB_MONTH:.2f} / GB-month", "-",
         lambda d: log_gb_day(d) * retention * LOG_STORED_FRACTION * LOGS_STORAGE_PER_GB_MONTH),
        (f"CloudWatch alarms ({m['alarms']})", f"${ALARM_PER_MONTH:.2f} / alarm-month", "-",
         lambda d: m["alarms"] * ALARM_PER_MONTH),
        (f"CloudWatch EMF metrics ({metric_count}, every hour)",
         f"${METRIC_PER_MONTH:.2f} / metric-month", "-",
         lambda d: metric_count * METRIC_PER_MONTH),
        (f"CloudWatch dashboards ({m['dashboards']})", f"${DASHBOARD_PER_MONTH:.2f} / month", "-",
         lambda d: m["dashboards"] * DASHBOARD_PER_MONTH),
    ]


# ---------------------------------------------------------------- output
def table(m: dict) -> tuple:
    head = ["Item", "Price", "Per event"] + [f"{v // 1000}k/day" for v in VOLUMES]
    body, totals = [], [0.0] * len(VOLUMES)
    for item, price, per_event, cost in rows(m):
        values = [cost(v) for v in VOLUMES]
        totals = [a + b for a, b in zip(totals, values)]
        body.append([item, price, per_event] + [f"${v:,.2f}" for v in values])
    total = ["Total per month", "", ""] + [f"${v:,.2f}" for v in totals]
    return head, body, total


def assumptions(m: dict) -> list:
    f = m["functions"]
    mem = sorted({v["memory_mb"] for v in f.values()})
    return [
        f"{REGION} prices of {PRICES_AS_OF}, no free tier counted; {DAYS_PER_MONTH}-day months;"
        f" every function {m['arch']}, {'/'.join(map(str, mem))} MB (template).",
        f"{EVENTS_PER_DELIVERY:g} event per Okta delivery; {PLANS_PER_EVENT:.0%} of events"
        f" match a rule, {STEPS_PER_PLAN:g} steps per plan ({m['steps']:g} step per event);"
        f" {ROUTER_MESSAGES_PER_BATCH:g} message per router batch.",
        f"Run time: ingest {INGEST_MS} ms, router {ROUTER_MS} ms, a step {STEP_MS} ms,"
        f" a poll {POLL_MS} ms (every minute).",
        "SQS per event: the delivery's SendMessageBatch, the router's receive and delete,"
        " send + receive + delete per step, the poller's batched copy (dropped by FIFO dedup).",
        f"DynamoDB per event: ledger GetItem + PutItem; {THRESHOLD_EVENT_SHARE:.0%} counted by a"
        f" threshold rule (GetItem + UpdateItem); {DESTRUCTIVE_PLAN_SHARE:.0%} of plans take the"
        " hourly counter; claim + complete per step; the poller's ledger GetItem per event read.",
        f"Logs: {LOG_BYTES_PER_INVOCATION} B of Lambda lines per invocation; the functions' lines"
        " as the local stack's logs measure them (per delivery, event, plan and step);"
        f" kept {m['retention']} days"
        f" (LogRetentionDays), stored at {LOG_STORED_FRACTION:.0%} of their size (compressed).",
        f"Secrets: each warm function re-reads each of its secrets every {m['secret_ttl']} s.",
        f"EMF metrics: the {len(m['metrics'])} names the functions print (hook-receiver ingest.rs,"
        " event-router lib.rs, step-runner audit.rs per family, log-polling metrics.rs), each"
        " billed for every hour (at most: a metric costs only the hours it receives data).",
    ]


def render_text(m: dict) -> str:
    head, body, total = table(m)
    rows_ = [head] + body + [total]
    widths = [max(len(r[i]) for r in rows_) for i in range(len(head))]
    out = []
    for a in assumptions(m):
        out.append(f"# {a}")
    out.append("")
    for n, r in enumerate(rows_):
        cells = [c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
        if n == 0 or n == len(rows_) - 2:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"


GENERATED_MARK = "<!-- generated by `make cost`"


def render_markdown(m: dict) -> str:
    head, body, total = table(m)
    out = [
        GENERATED_MARK + " (scripts/cost.py --update-readme);"
        " integration-tests/tests/it/cost.rs checks it is current -->",
        "",
    ]
    for a in assumptions(m):
        out.append(f"- {a}")
    out.append("")
    out.append("| " + " | ".join(head) + " |")
    out.append("| " + " | ".join(["---"] * 3 + ["---:"] * len(VOLUMES)) + " |")
    for r in body:
        out.append("| " + " | ".join(r) + " |")
    out.append("| " + " | ".join(f"**{c}**" if c else "" for c in total) + " |")
    return "\n".join(out) + "\n"


def update_readme(generated: str) -> None:
    """Replaces README.md's generated block: from the `generated by` comment through the
    Total row."""
    readme = ROOT / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    start = next(i for i, l in enumerate(lines) if l.startswith(GENERATED_MARK))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("| **Total per month**"))
    lines[start:end + 1] = [generated]
    readme.write_text("".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=["text", "markdown"], default="text")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--update-readme", action="store_true",
                        help="replace the generated table in README.md with the markdown output")
    args = parser.parse_args()
    m = model(Template(args.template))
    if args.update_readme:
        update_readme(render_markdown(m))
        return 0
    sys.stdout.write(render_markdown(m) if args.format == "markdown" else render_text(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
