"""Cold start, peak memory and wall time of the release function binaries.

A minimal Lambda Runtime API, written here, serves invocations to the real `bootstrap`
binary; moto_server stands in for SQS and Secrets Manager. Cold start is the time from
process start to the binary's first `GET .../invocation/next` (configuration read, AWS
clients built, no network call). Peak memory is the process's VmHWM after a 100-event
delivery. Run by `make bench`.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("OKTA_REFERENCE_DIR", ROOT.parent / "shared" / "okta"))
SECRET = "okta-hooks-example-secret"


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


class Runtime(ThreadingHTTPServer):
    """Serves queued invocations; records when each /next arrived and each response."""

    def __init__(self):
        # Port 0: the kernel picks one and this server holds it (server_address has it).
        super().__init__(("127.0.0.1", 0), RuntimeHandler)
        self.invocations = []
        self.first_next = None
        self.responses = []
        self.cv = threading.Condition()


class RuntimeHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        with server.cv:
            if server.first_next is None:
                server.first_next = time.perf_counter()
            server.cv.notify_all()
            while not server.invocations:
                if not server.cv.wait(timeout=30):
                    return
            payload = server.invocations.pop(0)
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", f"req-{time.time_ns()}")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with server.cv:
            server.sent_at = time.perf_counter()

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


def function_env(runtime, moto, queue_url):
    env = dict(os.environ)
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": moto, "OKTA_HOOKS_EVENTS_QUEUE_URL": queue_url,
        "RUST_LOG": "warn",
    })
    return env


def peak_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def delivery_event(n):
    events = [json.loads(p.read_text()) for p in sorted((REFERENCE / "events").glob("*.json"))
              if not p.name.startswith("event-hook-delivery.")]
    batch = []
    for i in range(n):
        event = dict(events[i % len(events)])
        event["uuid"] = f"bench-{time.time_ns()}-{i}"
        batch.append(event)
    delivery = {"eventType": "com.okta.event_hook", "eventId": f"bench-{time.time_ns()}", "data": {"events": batch}}
    template = json.loads((ROOT / "events" / "apigw-v2-delivery.json").read_text())
    template["body"] = json.dumps(delivery)
    return template


def cold_starts(binary, env, runs=20):
    samples = []
    for _ in range(runs):
        runtime = start_runtime()
        env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{runtime.server_address[1]}")
        start = time.perf_counter()
        proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with runtime.cv:
            runtime.cv.wait_for(lambda: runtime.first_next is not None, timeout=10)
        samples.append((runtime.first_next - start) * 1000)
        proc.kill()
        proc.wait()
        runtime.shutdown()
    return samples


def main():
    lambda_dir = Path(sys.argv[1])
    moto, moto_port = start_moto()
    try:
        endpoint = f"http://127.0.0.1:{moto_port}"
        kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        sqs = boto3.client("sqs", **kw)
        queue_url = sqs.create_queue(QueueName="bench.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        boto3.client("secretsmanager", **kw).create_secret(
            Name="okta-hooks/default", SecretString=json.dumps({"hook": {"current": SECRET}}))

        # One SendMessageBatch round trip to this emulator, for the wall-time budget.
        entries = [{"Id": f"e{i}", "MessageBody": "x" * 2500, "MessageGroupId": "g", "MessageDeduplicationId": f"rtt-{time.time_ns()}-{i}"} for i in range(10)]
        rtts = []
        for _ in range(5):
            t = time.perf_counter()
            sqs.send_message_batch(QueueUrl=queue_url, Entries=[dict(e, MessageDeduplicationId=e["MessageDeduplicationId"] + str(len(rtts))) for e in entries])
            rtts.append((time.perf_counter() - t) * 1000)

        print("function binaries (release, x86_64)")
        for name in ["hook-ingest", "hook-verify"]:
            binary = str(lambda_dir / name / "bootstrap")
            env = function_env(start_runtime(), endpoint, queue_url)
            samples = cold_starts(binary, env)
            print(f"  {name:<12} cold start to first /next: median {statistics.median(samples):.2f} ms, "
                  f"p90 {sorted(samples)[int(len(samples) * 0.9)]:.2f} ms (budget 10 ms, {len(samples)} runs)")

        runtime = start_runtime()
        env = function_env(runtime, endpoint, queue_url)
        proc = subprocess.Popen([str(lambda_dir / "hook-ingest" / "bootstrap")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls = []
        for i in range(6):
            # moto_server slows down as a queue grows: start each delivery on an empty one
            # (a new queue of the same name: moto allows one purge a minute).
            sqs.delete_queue(QueueUrl=queue_url)
            sqs.create_queue(QueueName="bench.fifo", Attributes={"FifoQueue": "true"})
            with runtime.cv:
                runtime.invocations.append(delivery_event(100))
                runtime.cv.notify_all()
                start = time.perf_counter()
                runtime.cv.wait_for(lambda: len(runtime.responses) > i, timeout=30)
            done, path, body = runtime.responses[i]
            status = json.loads(body).get("statusCode")
            assert status == 200, body
            walls.append((done - start) * 1000)
        rss = peak_rss_mb(proc.pid)
        proc.kill()
        proc.wait()
        warm = walls[1:]
        print(f"  hook-ingest  100-event delivery through moto_server: first (secret fetch) {walls[0]:.1f} ms,"
              f" then median {statistics.median(warm):.1f} ms; one SendMessageBatch round trip: median"
              f" {statistics.median(rtts):.1f} ms (moto serialises requests: see the criterion"
              f" ingest_wall group for the in-process figure)")
        print(f"  hook-ingest  peak RSS after 6 deliveries of 100 events: {rss:.1f} MB (budget 32 MB)")
    finally:
        moto.kill()
        moto.wait()


if __name__ == "__main__":
    main()
