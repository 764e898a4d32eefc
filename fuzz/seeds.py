#!/usr/bin/env python3
"""Seeds the fuzz corpora (fuzz/corpus/<target>/, not checked in) from the repo's fixtures.

- delivery: events/okta-delivery.*.json, the reference deliveries and every reference
  System Log event wrapped in a delivery ($OKTA_REFERENCE_DIR, else ../shared/okta
  beside the checkout; skipped when absent);
- rules_load: rules/*.yaml;
- cel_template: each rule's `if:` and each `${…}` template of rules/*.yaml;
- envelope_open: real queue bodies sealed with the harness's fixed keys (HMAC-only and
  plan-signed, valid and tampered) and payload/plan-text pairs for its signing mode;
- okta_error: the error bodies of shared/okta-fixtures/answers/errors.json with
  rate-limit headers;
- every target: the small checked-in seeds of fuzz/seeds/<target>/.

Needs only Python 3 and, for the plan-signed envelopes, `cryptography` (in .venv
through moto); without it those are skipped. Idempotent: files are named by content.
"""
import base64
import glob
import hashlib
import hmac
import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REF = os.environ.get("OKTA_REFERENCE_DIR", os.path.join(ROOT, "..", "shared", "okta"))
CORPUS = os.path.join(HERE, "corpus")
K1 = b"k1-0123456789abcdef0123456789abcdef"
PLAN_SEED = bytes(range(32))
PLAN_CONTEXT = b"okta-hooks plan v1\n"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def deliveries():
    for p in sorted(glob.glob(os.path.join(ROOT, "events", "okta-delivery.*.json"))):
        put("delivery", read(p))
    for p in sorted(glob.glob(os.path.join(REF, "events", "*.json"))):
        if os.path.basename(p).startswith("event-hook-delivery."):
            put("delivery", read(p))
            continue
        event = json.loads(read(p))
        put("delivery", json.dumps({"eventType": "com.okta.event_hook",
                                    "eventId": "seed-" + os.path.basename(p),
                                    "data": {"events": [event]}}))


def rules():
    for p in sorted(glob.glob(os.path.join(ROOT, "rules", "*.yaml"))):
        text = read(p).decode()
        put("rules_load", text)
        conditions = re.findall(r"^\s*if:\s*(.+)$", text, re.M) or [""]
        templates = re.findall(r"\$\{[^}]*\}", text)
        for i, template in enumerate(templates):
            put("cel_template", conditions[i % len(conditions)].strip() + "\n" + template)


def b64(data):
    return base64.b64encode(data).decode().rstrip("=")


def envelope_id(uuid, rule, phase, step):
    h = hashlib.sha256()
    for part in (uuid, rule, phase, str(step)):
        b = part.encode()
        h.update(struct.pack(">Q", len(b)) + b)
    return h.hexdigest()


def mac(payload):
    return b64(hmac.new(K1, payload.encode(), hashlib.sha256).digest())


def envelopes():
    event = {"uuid": "seed-uuid-1", "eventType": "user.account.lock"}
    plan = {"rule_id": "lock-down", "dry_run": False,
            "steps": [{"name": "suspended", "action": "user.suspend", "family": "users",
                       "destructive": True, "params": {"user": "00u1seed"}},
                      {"action": "notify.webhook", "family": "notify", "destructive": False,
                       "params": {"url_secret": "hook", "body": None},
                       "deferred": [{"pointer": "/body/text", "template": "${ steps.suspended.status }"}]}]}
    cursor = {"phase": "steps", "index": 1}
    full = {"id": envelope_id("seed-uuid-1", "lock-down", "steps", 1), "org": "acme",
            "ruleId": "lock-down", "cursor": cursor, "group": "00u1seed", "dryRun": False,
            "event": event, "plan": plan, "outputs": {"suspended": {"status": "SUSPENDED"}}}
    payload = json.dumps(full, separators=(",", ":"))
    body = {"kid": "k1", "sig": mac(payload), "payload": payload}
    put("envelope_open", b"\0" + json.dumps(body).encode())
    put("envelope_open", b"\0" + json.dumps(dict(body, sig=mac(payload + " "))).encode())
    put("envelope_open", b"\x01" + payload.encode())
    text = json.dumps({"org": "acme", "ruleId": "lock-down", "group": "00u1seed",
                       "dryRun": False, "event": event, "plan": plan}, separators=(",", ":"))
    progress = {"id": full["id"], "cursor": cursor, "outputs": full["outputs"],
                "planSha256": hashlib.sha256(text.encode()).hexdigest()}
    progress_text = json.dumps(progress, separators=(",", ":"))
    put("envelope_open", b"\x07" + progress_text.encode() + b"\0" + text.encode())
    put("envelope_open", b"\x07" + json.dumps({"cursor": {"phase": "on_failure", "index": 0},
                                               "failure": {"step": "suspended", "error": "x"}}).encode()
        + b"\0" + text.encode())
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        print("seeds: no `cryptography`: plan-signed envelope seeds skipped", file=sys.stderr)
        return
    key = Ed25519PrivateKey.from_private_bytes(PLAN_SEED)
    signed = {"kid": "k1", "sig": mac(progress_text), "payload": progress_text,
              "plan": {"kid": "p1", "sig": b64(key.sign(PLAN_CONTEXT + text.encode())), "text": text}}
    put("envelope_open", b"\0" + json.dumps(signed).encode())
    put("envelope_open", b"\0" + json.dumps(dict(signed, plan=dict(signed["plan"], kid="p2"))).encode())


def errors():
    answers = json.loads(read(os.path.join(ROOT, "shared", "okta-fixtures", "answers", "errors.json")))
    heads = [b"x-rate-limit-limit: 600|x-rate-limit-remaining: 0|x-rate-limit-reset: 1700000060|date: Tue, 14 Nov 2023 22:13:20 GMT",
             b"x-okta-request-id: seedReq1|retry-after: 30",
             b"www-authenticate: DPoP error=\"use_dpop_nonce\"|dpop-nonce: abc"]
    for i, (name, body) in enumerate(sorted(answers.items())):
        put("okta_error", bytes([i]) + heads[i % len(heads)] + b"\n" + json.dumps(body).encode())


def checked_in():
    for d in sorted(glob.glob(os.path.join(HERE, "seeds", "*"))):
        for p in sorted(glob.glob(os.path.join(d, "*"))):
            put(os.path.basename(d), read(p))


if __name__ == "__main__":
    deliveries()
    rules()
    envelopes()
    errors()
    checked_in()
    for t in sorted(os.listdir(CORPUS)):
        print(f"seeds: {t}: {len(os.listdir(os.path.join(CORPUS, t)))} files")
