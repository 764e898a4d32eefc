"""Cold start, init CPU, first invocation and peak memory of every release function binary,
side by side with a floor built in the same run; and the wall time of a 100-event delivery.

Run by `make bench` (scripts/bench-binaries.sh builds the binaries first):

    python3 scripts/bench_binaries.py LAMBDA_DIR [RUNS]

What it sets up, once: moto_server on a port it binds itself; `infra/template.yaml`
deployed into it by scripts/stack_deploy.py (so each function runs with exactly the
environment CloudFormation resolved for it, as `okta-hooks stack up` does); the org
secrets put where the template's roles read them (a plan key made by `okta-hooks secrets
plan-key`); the Okta double (`okta-double`, seeded with events/local-org.json).

What it measures, RUNS times (default 15), the functions interleaved within each run so
that a slow moment of the machine hits them all alike:
- cold start: process start → the binary's first `GET …/invocation/next` at a Runtime API
  of ours (each process gets its own, on a port the kernel gave it);
- init CPU: the CPU time of all the process's threads at that moment
  (/proc/PID/task/*/schedstat, nanoseconds), so work done on other threads is counted;
- first invocation: the first event given → its response, so work moved out of init into
  the first event is still counted;
- peak RSS: VmHWM after that invocation.
- init instructions (when valgrind is installed): each binary once under callgrind, stopped
  at its first `/next`: the instructions its init ran, all threads. Unlike the times above
  this count does not depend on what else the machine is doing (the same binary, input and
  environment give the same count), so its ratio to the floor is the steady measure of
  init work; the times say what that work costs in wall and CPU.
The floor is `cold-start-floor` (bench/cold-start-floor): a `lambda_runtime` echo built
with the same release profile. Each invocation is real work on fresh input: hook-verify
answers a verification challenge; hook-ingest takes a delivery of 3 events with new uuids
(into the stack's events queue); the router takes those events from the queue as its SQS
batch (rules, ledger, plans to the family queues); the executor takes a plan the router
sealed and acts on the Okta double; the poller reads the double's System Log.

Budgets (issue 17): cold start ≤ 1.5× the floor for hook-verify and hook-ingest, ≤ 2.5×
for the others; peak RSS ≤ 32 MB. A line over budget is marked OVER; the exit status is
not changed (budgets are read, not enforced, on a noisy machine).
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("OKTA_REFERENCE_DIR", ROOT.parent / "shared" / "okta"))
BIN = ROOT / "target" / "debug"
HOOK_SECRET = "bench-hook-secret"
STACK = "bench"
REGION = "us-east-1"
COLD_BUDGET = {"hook-verify": 1.5, "hook-ingest": 1.5}
COLD_BUDGET_OTHERS = 2.5
RSS_BUDGET_MB = 32


# ---- servers -------------------------------------------------------------------------

def start_moto():
    """moto_server on a port it binds itself (`-p 0`), read from its "Running on" line, and
    ready once it has answered a request: no other process can be on that port."""
    moto = subprocess.Popen([str(ROOT / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port = None
    seen = []
    for line in moto.stderr:
        seen.append(line)
        match = re.search(r"Running on http://127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
            break
    if port is None:
        moto.kill()
        moto.wait()
        sys.exit("moto_server exited before listening:\n" + "".join(seen))
    # Keep draining its request log, so it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in moto.stderr], daemon=True).start()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=30) as answer:
        assert answer.status == 200, answer.status
    return moto, port


def start_okta_double():
    """`okta-double --port 0`, seeded with the local org; its first stdout line names the port."""
    double = subprocess.Popen([str(BIN / "okta-double"), "--port", "0", "--token", "bench-token",
                               "--seed", str(ROOT / "events" / "local-org.json")],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = double.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if not match:
        double.kill()
        sys.exit(f"okta-double did not start: {line!r}")
    threading.Thread(target=lambda: [None for _ in double.stdout], daemon=True).start()
    return double, match.group(1)


class Runtime(ThreadingHTTPServer):
    """A Lambda Runtime API for one process: records when its first /next arrived, serves
    the invocations queued, records each response."""

    def __init__(self):
        # Port 0: the kernel picks one and this server holds it (server_address has it).
        super().__init__(("127.0.0.1", 0), RuntimeHandler)
        self.daemon_threads = True
        self.invocations = []
        self.first_next = None
        self.on_first_next = None
        self.responses = []
        self.cv = threading.Condition()

    def url(self):
        return f"127.0.0.1:{self.server_address[1]}"


class RuntimeHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        with server.cv:
            if server.first_next is None:
                server.first_next = time.perf_counter()
                if server.on_first_next:
                    server.on_first_next()
            server.cv.notify_all()
            while not server.invocations:
                if not server.cv.wait(timeout=60):
                    return
            payload = server.invocations.pop(0)
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with self.server.cv:
            self.server.responses.append((time.perf_counter(), self.path, body))
            self.server.cv.notify_all()


def start_runtime():
    runtime = Runtime()
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    return runtime


# ---- /proc readings -------------------------------------------------------------------

def cpu_ms(pid):
    """CPU time of every thread of `pid` so far, in milliseconds (schedstat: nanoseconds)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    return total / 1e6


def peak_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---- the deployed stack ---------------------------------------------------------------

def deploy(endpoint):
    """The template deployed into the emulator; returns stack_deploy.py's JSON."""
    out = subprocess.run(
        [str(ROOT / ".venv/bin/python"), str(ROOT / "scripts/stack_deploy.py"),
         "--template", str(ROOT / "infra/template.yaml"), "--stack-name", STACK,
         "--endpoint", endpoint, "--hook-base-url", "http://127.0.0.1:9"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return json.loads(out.stdout)


def put_secrets(kw, functions, okta_url):
    """The org secrets, as `okta-hooks stack up` puts them: each kind under
    `<prefix><org>/<kind>`, with a router plan key made by `okta-hooks secrets plan-key`."""
    env = next(f["environment"] for f in functions if f["environment"].get("OKTA_HOOKS_ORGS"))
    prefix = env.get("OKTA_HOOKS_SECRET_PREFIX", "okta-hooks/")
    org = env["OKTA_HOOKS_ORGS"].split(",")[0]
    credential = {"org_url": okta_url, "api_token": "bench-token"}
    secrets = {
        "hook": {"header": "Authorization", "current": HOOK_SECRET},
        "signing": {"active": "bench", "keys": {"bench": uuid.uuid4().hex + uuid.uuid4().hex}},
        "okta": credential,
        "okta-read": credential,
        "named": {"slack_webhook": f"{okta_url}/bench-webhook"},
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "secrets.json"
        path.write_text(json.dumps(secrets))
        for require in ([], ["--require"]):
            subprocess.run([str(BIN / "okta-hooks"), "secrets", "plan-key", "--org", org,
                            "--secret-file", str(path), *require],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        secrets = json.loads(path.read_text())
    sm = boto3.client("secretsmanager", **kw)
    for kind, value in secrets.items():
        name = f"{prefix}{org}/{kind}"
        try:
            sm.put_secret_value(SecretId=name, SecretString=json.dumps(value))
        except sm.exceptions.ResourceNotFoundException:
            sm.create_secret(Name=name, SecretString=json.dumps(value))
    return org


def process_env(function, endpoint):
    """The function's environment as Lambda gives it: CloudFormation's variables, Lambda's
    own, the emulator's endpoint and dummy credentials, loopback http allowed for Okta."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(function["environment"])
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": function["name"], "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.get("memory", 128)),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function['name']}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench", "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": endpoint, "OKTA_HOOKS_ALLOW_LOOPBACK_HTTP": "true",
    })
    return env


# ---- invocations ----------------------------------------------------------------------

def sqs_event(messages, queue_arn):
    """A Lambda SQS event of `messages` (as ReceiveMessage returned them)."""
    records = []
    for m in messages:
        attributes = dict(m.get("Attributes", {}))
        records.append({
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": attributes, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": REGION,
        })
    return {"Records": records}


def take(sqs, queue_url, wait=5):
    """Up to 10 messages from the queue, deleted at once (this script is the event source
    mapping: a message the function fails is not retried here)."""
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait,
                              AttributeNames=["All"]).get("Messages", [])
    if got:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    return got


def delivery(org):
    """A delivery of the sample suspicious-activity events (3), with new uuids."""
    template = json.loads((ROOT / "events" / "apigw-v2-delivery.json").read_text())
    body = json.loads((ROOT / "events" / "okta-delivery.suspicious-activity.json").read_text())
    body["eventId"] = str(uuid.uuid4())
    for event in body["data"]["events"]:
        event["uuid"] = str(uuid.uuid4())
    template["body"] = json.dumps(body)
    template["isBase64Encoded"] = False
    headers = template.setdefault("headers", {})
    headers["authorization"] = HOOK_SECRET
    template["rawPath"] = f"/hooks/okta/{org}"
    template.setdefault("pathParameters", {})["org"] = org
    return template


def verification(org):
    template = json.loads((ROOT / "events" / "apigw-v2-verify.json").read_text())
    template["headers"]["authorization"] = HOOK_SECRET
    template["headers"]["x-okta-verification-challenge"] = str(uuid.uuid4())
    template["rawPath"] = f"/hooks/okta/{org}"
    template.setdefault("pathParameters", {})["org"] = org
    return template


def one_start(binary, env, payload):
    """One cold start and first invocation: (cold ms, init CPU ms, first invocation ms,
    peak RSS MB, the response body)."""
    runtime = start_runtime()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=runtime.url())
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    init_cpu = []
    runtime.on_first_next = lambda: init_cpu.append(cpu_ms(proc.pid))
    try:
        with runtime.cv:
            if not runtime.cv.wait_for(lambda: runtime.first_next is not None, timeout=20):
                proc.kill()
                raise SystemExit(f"{binary} never asked for an event: {proc.stderr.read()[-2000:]!r}")
            cold = (runtime.first_next - start) * 1000
            runtime.invocations.append(payload)
            given = time.perf_counter()
            runtime.cv.notify_all()
            if not runtime.cv.wait_for(lambda: runtime.responses, timeout=60):
                raise SystemExit(f"{binary} gave no response")
        done, path, body = runtime.responses[0]
        if not path.endswith("/response"):
            raise SystemExit(f"{binary} failed its first invocation: {path} {body[:500]!r}")
        rss = peak_rss_mb(proc.pid)
        return cold, init_cpu[0], (done - given) * 1000, rss, body
    finally:
        proc.kill()
        proc.wait()
        runtime.shutdown()
        runtime.server_close()


def init_instructions(binary, env):
    """The instructions `binary` runs before its first `/next`, counted by callgrind (all
    threads): the process is stopped with SIGTERM when that request arrives, and callgrind
    prints its total as it exits."""
    runtime = start_runtime()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=runtime.url())
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.%p",
                                 binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        runtime.on_first_next = lambda: os.kill(proc.pid, signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=120)
        finally:
            proc.kill()
            runtime.shutdown()
            runtime.server_close()
    if runtime.first_next is None:
        raise SystemExit(f"{binary} under callgrind never asked for an event: {err[-2000:]!r}")
    found = re.search(rb"Collected : (\d+)", err)
    if not found:
        raise SystemExit(f"callgrind printed no total for {binary}: {err[-2000:]!r}")
    return int(found.group(1))


def report_instructions(counts):
    floor = counts["floor"]
    print("init instructions to the first /next (callgrind, all threads; the same for the same binary"
          " and environment, whatever the machine is doing)")
    for name, count in counts.items():
        print(f"  {name:<24} {count / 1e6:8.2f} M {count / floor:7.2f}×")


# ---- the report -----------------------------------------------------------------------

def median(values):
    return statistics.median(values) if values else float("nan")


def report(samples, runs):
    floor = samples["floor"]
    floor_cold = median([s[0] for s in floor])
    floor_cpu = median([s[1] for s in floor])
    print(f"cold start, side by side ({runs} runs, medians; floor = a lambda_runtime echo, same profile)")
    print(f"  {'function':<24} {'cold start':>10} {'× floor':>8} {'budget':>7} {'init CPU':>9} {'× floor':>8}"
          f" {'1st call':>9} {'peak RSS':>9}")
    for name, rows in samples.items():
        cold = median([s[0] for s in rows])
        cpu = median([s[1] for s in rows])
        first = median([s[2] for s in rows])
        rss = max(s[3] for s in rows)
        if name == "floor":
            budget, mark = "", ""
        else:
            limit = COLD_BUDGET.get(name.split(" ")[0], COLD_BUDGET_OTHERS)
            budget = f"≤{limit}×"
            over = cold / floor_cold > limit or rss > RSS_BUDGET_MB
            mark = "  OVER" if over else ""
        print(f"  {name:<24} {cold:8.2f} ms {cold / floor_cold:7.2f}× {budget:>7} {cpu:6.2f} ms"
              f" {cpu / floor_cpu:7.2f}× {first:6.1f} ms {rss:6.1f} MB{mark}")
    print(f"  (cold start: process start → first /next; init CPU: all threads until then; 1st call:"
          f" first event → response; peak RSS: VmHWM after it, budget {RSS_BUDGET_MB} MB)")


def wall_of_100_event_deliveries(lambda_dir, kw, endpoint, ingest_function):
    """hook-ingest's wall time for 100-event deliveries into a queue of its own."""
    sqs = boto3.client("sqs", **kw)
    queue_url = sqs.create_queue(QueueName="bench-wall.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    entries = [{"Id": f"e{i}", "MessageBody": "x" * 2500, "MessageGroupId": "g",
                "MessageDeduplicationId": f"rtt-{time.time_ns()}-{i}"} for i in range(10)]
    rtts = []
    for n in range(5):
        t = time.perf_counter()
        sqs.send_message_batch(QueueUrl=queue_url, Entries=[
            dict(e, MessageDeduplicationId=e["MessageDeduplicationId"] + str(n)) for e in entries])
        rtts.append((time.perf_counter() - t) * 1000)
    events = [json.loads(p.read_text()) for p in sorted((REFERENCE / "events").glob("*.json"))
              if not p.name.startswith("event-hook-delivery.")]
    runtime = start_runtime()
    env = dict(process_env(ingest_function, endpoint), AWS_LAMBDA_RUNTIME_API=runtime.url(),
               OKTA_HOOKS_EVENTS_QUEUE_URL=queue_url)
    proc = subprocess.Popen([str(lambda_dir / "hook-ingest" / "bootstrap")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls = []
    try:
        for i in range(6):
            # moto_server slows down as a queue grows: start each delivery on an empty one.
            sqs.delete_queue(QueueUrl=queue_url)
            sqs.create_queue(QueueName="bench-wall.fifo", Attributes={"FifoQueue": "true"})
            payload = delivery(ingest_function["environment"]["OKTA_HOOKS_ORGS"].split(",")[0])
            body = json.loads(payload["body"])
            body["data"]["events"] = [dict(events[j % len(events)], uuid=str(uuid.uuid4()))
                                      for j in range(100)]
            payload["body"] = json.dumps(body)
            with runtime.cv:
                runtime.invocations.append(payload)
                runtime.cv.notify_all()
                start = time.perf_counter()
                runtime.cv.wait_for(lambda: len(runtime.responses) > i, timeout=60)
            done, path, answer = runtime.responses[i]
            assert json.loads(answer).get("statusCode") == 200, answer
            walls.append((done - start) * 1000)
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.kill()
        proc.wait()
        runtime.shutdown()
    print(f"  hook-ingest  100-event delivery through moto_server: first (secret fetch) {walls[0]:.1f} ms,"
          f" then median {median(walls[1:]):.1f} ms; one SendMessageBatch round trip: median"
          f" {median(rtts):.1f} ms (moto serialises requests: see the criterion ingest_wall group"
          f" for the in-process figure); peak RSS after 6 deliveries {rss:.1f} MB")


def main():
    lambda_dir = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    moto, moto_port = start_moto()
    double, okta_url = start_okta_double()
    try:
        endpoint = f"http://127.0.0.1:{moto_port}"
        kw = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                  aws_secret_access_key="testing")
        deployed = deploy(endpoint)
        functions = {f["logical_id"]: f for f in deployed["runtime"]["functions"]}
        org = put_secrets(kw, list(functions.values()), okta_url)
        sqs = boto3.client("sqs", **kw)

        def fn(logical_id):
            function = functions[logical_id]
            return (str(lambda_dir / function["binary"] / "bootstrap"),
                    process_env(function, endpoint), function)

        router = fn("EventRouterFunction")
        requests_arn = router[2]["environment"].get("OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN")
        events_queue = next(m for m in router[2]["sqs"] if m["queue_arn"] != requests_arn)
        executors = [fn(f) for f in functions if f.endswith("ExecutorFunction")]
        executors.sort(key=lambda e: e[2]["logical_id"] != "UsersExecutorFunction")
        schedule = json.loads((ROOT / "events" / "eventbridge-schedule.json").read_text())
        floor = (str(lambda_dir / "cold-start-floor" / "bootstrap"), process_env(router[2], endpoint))

        samples = {"floor": [], "hook-verify": [], "hook-ingest": [], "event-router": [],
                   "action-executor": [], "log-poller": []}
        for _ in range(runs):
            samples["floor"].append(one_start(*floor, {"echo": str(uuid.uuid4())}))
            if "HookVerifyFunction" in functions:
                samples["hook-verify"].append(one_start(*fn("HookVerifyFunction")[:2], verification(org)))
            ingest = one_start(*fn("HookIngestFunction")[:2], delivery(org))
            assert json.loads(ingest[4]).get("statusCode") == 200, ingest[4]
            samples["hook-ingest"].append(ingest)
            batch = take(sqs, events_queue["queue_url"])
            assert batch, "the delivery's events are not on the events queue"
            samples["event-router"].append(one_start(*router[:2], sqs_event(batch, events_queue["queue_arn"])))
            plan = None
            for binary, env, function in executors:
                for mapping in function["sqs"]:
                    got = take(sqs, mapping["queue_url"], wait=0)
                    if got:
                        plan = (binary, env, function, sqs_event(got, mapping["queue_arn"]))
                        break
                if plan:
                    break
            assert plan, "the router sealed no plan for the suspicious-activity events"
            samples["action-executor"].append(one_start(plan[0], plan[1], plan[3]))
            samples["log-poller"].append(one_start(*fn("LogPollerFunction")[:2], schedule))
        samples = {k: v for k, v in samples.items() if v}
        report(samples, runs)
        print()
        if shutil.which("valgrind"):
            starts = {"floor": floor[:2], "hook-verify": fn("HookVerifyFunction")[:2]
                      if "HookVerifyFunction" in functions else None,
                      "hook-ingest": fn("HookIngestFunction")[:2], "event-router": router[:2],
                      "action-executor": executors[0][:2], "log-poller": fn("LogPollerFunction")[:2]}
            report_instructions({name: init_instructions(*start)
                                 for name, start in starts.items() if start})
        else:
            print("init instructions: not counted (valgrind is not installed)")
        print()
        wall_of_100_event_deliveries(lambda_dir, kw, endpoint, functions["HookIngestFunction"])
    finally:
        for process in (double, moto):
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
