#!/usr/bin/env python3
"""Deploys infra/template.yaml into a local AWS emulator (moto_server): `okta-hooks stack up`.

What `sam package` + `sam deploy` do, offline:
  1. parse the SAM template (CloudFormation tags) and rewrite every `CodeUri` to an artifact
     uploaded to an S3 bucket of the emulator (a placeholder zip: the functions do not run in
     the emulator; `stack up` runs the built binaries itself);
  2. transform it with samtranslator (AWS::Serverless-2016-10-31, as `sam validate` does);
  3. create the stack with the emulator's CloudFormation and wait for CREATE_COMPLETE;
  4. create or emulate what moto's CloudFormation skips (resource types it does not
     implement), so every output resolves: the org secrets (SecretsManager::Secret) are
     created with their template name and placeholder value, the HTTP API (ApiGatewayV2)
     and, with `Ingress=FunctionUrl`, the Lambda Function URL (Lambda::Url) are a loopback
     URL given by the caller (`stack up` serves the routes, or every request to the URL's
     function, there).

Prints one JSON object on stdout: stack name, region, endpoint, outputs (each resolved,
placeholders replaced), queues {logical id: url}, tables {logical id: name}, functions
{logical id: name}, function_urls {logical id of the Lambda::Url: its loopback URL, ending
in /}, skipped [{logical id, type, emulated}], transformed template path.

`--transform-only` prints the transformed template instead (SAM transform, `Fn::If` folded
for the parameters; each resource keeps its `Condition`), with no emulator: what the
template tests lint per parameter set.
Everything else (progress, errors) goes to stderr; exit status 1 on failure.

Credentials and region are fixed dummies: nothing reads ~/.aws, so no real account is reached.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import zipfile
from typing import Any

REGION = "us-east-1"
ARTIFACT_BUCKET = "okta-hooks-stack-artifacts"


def log(message: str) -> None:
    print(f"stack: {message}", file=sys.stderr, flush=True)


def load_template(path: str) -> dict[str, Any]:
    """The template as CloudFormation's JSON form (short-form tags become Fn:: maps)."""
    from samcli.yamlhelper import yaml_parse

    with open(path, encoding="utf-8") as f:
        return yaml_parse(f.read())


class NoManagedPolicies:
    """samtranslator's managed-policy loader: the template names AWS managed policies nowhere
    (its Policies are its own ManagedPolicy resources and inline statements), so no IAM call."""

    def load(self) -> dict[str, str]:
        return {}


def placeholder_artifact() -> bytes:
    """A zip holding a `bootstrap` that says it is not meant to run in the emulator."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(
            info,
            "#!/bin/sh\necho 'okta-hooks stack: the functions run as the built binaries, "
            "not in the emulator' >&2\nexit 1\n",
        )
    return buffer.getvalue()


ARTIFACT_KEY = "okta-hooks/bootstrap.zip"


def package(template: dict[str, Any], s3: Any) -> dict[str, Any]:
    """`sam package`: every function's CodeUri (a local path) -> s3://bucket/key."""
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key=ARTIFACT_KEY, Body=placeholder_artifact())
    return with_code_uri(template, f"s3://{ARTIFACT_BUCKET}/{ARTIFACT_KEY}")


def with_code_uri(template: dict[str, Any], uri: str) -> dict[str, Any]:
    """Every function's CodeUri (and Globals') set to `uri`."""
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = uri
    function_globals = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = uri
    return template


def transform(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    # samtranslator builds ARNs for the session's region (boto's default session)
    os.environ["AWS_DEFAULT_REGION"] = REGION
    from samtranslator.translator.transform import transform as sam_transform

    return sam_transform(template, parameters, NoManagedPolicies())


def wait_for_stack(cfn: Any, name: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            return stack
        if "FAILED" in status or "ROLLBACK" in status:
            reason = stack.get("StackStatusReason", "")
            raise RuntimeError(f"stack {name}: {status} {reason}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"stack {name}: still {status} after {timeout:.0f} s")
        time.sleep(0.2)


def resolve(value: Any, parameters: dict[str, str], physical: dict[str, str]) -> Any:
    """The few intrinsics the secrets' properties use (Sub over parameters, Ref, If NoValue)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            if arg == "AWS::NoValue":
                return None
            return parameters.get(arg, physical.get(arg, arg))
        if fn == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            names = {**parameters, **{k: resolve(v, parameters, physical) for k, v in extra.items()}}
            for name, replacement in names.items():
                text = text.replace("${" + name + "}", str(replacement))
            return text
        if fn == "Fn::If":
            return None  # only `KmsKeyId: !If [UseKms, ...]`: no KMS key in the local stack
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", required=True)
    parser.add_argument("--stack-name")
    parser.add_argument("--endpoint")
    parser.add_argument("--hook-base-url",
                        help="the loopback URL that stands for the HTTP API or the Function "
                             "URL (no trailing /)")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--transformed-out", help="write the transformed template here")
    parser.add_argument("--transform-only", action="store_true",
                        help="print the transformed template (no emulator) and exit")
    args = parser.parse_args()

    if args.transform_only:
        sam = load_template(args.template)
        parameters = template_parameters(sam, args.parameter)
        sam = with_code_uri(sam, f"s3://{ARTIFACT_BUCKET}/{ARTIFACT_KEY}")
        json.dump(fold_conditions(transform(sam, parameters), parameters), sys.stdout, indent=1)
        print()
        return 0
    missing = [f"--{n}" for n in ("stack-name", "endpoint", "hook-base-url")
               if getattr(args, n.replace("-", "_")) is None]
    if missing:
        parser.error(f"required to deploy: {', '.join(missing)}")

    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    client = lambda service: session.client(service, endpoint_url=args.endpoint)  # noqa: E731
    cfn, s3, secrets = client("cloudformation"), client("s3"), client("secretsmanager")

    overrides = dict(p.split("=", 1) for p in args.parameter)
    sam = load_template(args.template)
    parameters = template_parameters(sam, args.parameter)

    sam = package(sam, s3)
    transformed = fold_conditions(transform(sam, parameters), parameters)
    if args.transformed_out:
        with open(args.transformed_out, "w", encoding="utf-8") as f:
            json.dump(transformed, f, indent=1)
    log(f"transformed: {len(transformed['Resources'])} resources")

    cfn.create_stack(
        StackName=args.stack_name,
        TemplateBody=json.dumps(for_moto(transformed)),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in overrides.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = wait_for_stack(cfn, args.stack_name)
    created = {
        r["LogicalResourceId"]: r
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=args.stack_name)
        for r in page["StackResourceSummaries"]
    }
    physical = {k: r["PhysicalResourceId"] for k, r in created.items()}
    parameters.update({"AWS::StackName": args.stack_name, "AWS::Region": REGION})

    # What the emulator's CloudFormation skipped: a resource of the transformed template
    # whose condition holds and that the stack does not list.
    conditions = {c: bool(v) for c, v in evaluate_conditions(transformed, parameters).items()}
    skipped = []
    stand_ins: dict[str, str] = {}
    function_urls: dict[str, str] = {}
    for logical_id, resource in transformed["Resources"].items():
        if logical_id in created:
            continue
        condition = resource.get("Condition")
        if condition and not conditions.get(condition, True):
            continue
        kind = resource["Type"]
        emulated = ""
        if kind == "AWS::SecretsManager::Secret":
            props = resource.get("Properties", {})
            name = resolve(props["Name"], parameters, physical)
            request = {"Name": name, "SecretString": resolve(props["SecretString"], parameters, physical)}
            description = resolve(props.get("Description"), parameters, physical)
            if description:
                request["Description"] = description
            stand_ins[logical_id] = secrets.create_secret(**request)["ARN"]
            emulated = f"created {name}"
        elif kind == "AWS::ApiGatewayV2::Api":
            stand_ins[logical_id] = "loopback"
            emulated = f"loopback URL {args.hook_base_url}"
        elif kind.startswith("AWS::ApiGatewayV2::"):
            # moto's CloudFormation implements no ApiGatewayV2 type; `stack up` serves each
            # route (runtime.functions[].http_routes) on the loopback URL. The stage's
            # throttle is not emulated.
            emulated = f"served by the loopback HTTP API {args.hook_base_url}"
        elif kind == "AWS::Lambda::Url":
            # Not implemented by moto's CloudFormation either (Ingress=FunctionUrl): the
            # loopback URL stands for it, every method and path to its function.
            function_urls[logical_id] = args.hook_base_url + "/"
            stand_ins[logical_id] = function_urls[logical_id]
            emulated = (f"loopback URL {function_urls[logical_id]} (every method and path "
                        f"to {url_function(resource)})")
        elif kind == "AWS::SQS::QueuePolicy":
            # moto's SQS checks no resource policy: locally, any caller may send to the
            # queue (the functions' own calls are still checked against their roles).
            emulated = "not enforced by the emulator: any local sender may send"
        elif kind == "AWS::Logs::QueryDefinition":
            # moto's CloudFormation has no model of this type (no CloudFormationModel in
            # moto/logs/models.py; parsing.py warns "not supported" and skips it). A saved
            # Logs Insights query is for the console: no function reads it.
            emulated = "not implemented by moto's CloudFormation: a saved query no function reads"
        else:
            emulated = "not needed before the functions run"
        skipped.append({"logical_id": logical_id, "type": kind, "emulated": emulated})

    outputs = resolve_outputs(transformed, stack, conditions, parameters, physical, stand_ins,
                              args.hook_base_url)

    of_type = lambda kind: {  # noqa: E731
        k: r["PhysicalResourceId"] for k, r in created.items() if r["ResourceType"] == kind
    }
    result = {
        "stack_name": args.stack_name,
        "region": REGION,
        "endpoint": args.endpoint,
        "stack_id": stack["StackId"],
        "outputs": outputs,
        "queues": of_type("AWS::SQS::Queue"),
        "tables": of_type("AWS::DynamoDB::Table"),
        "functions": of_type("AWS::Lambda::Function"),
        "function_urls": function_urls,
        "skipped": skipped,
        "runtime": runtime(session, args.endpoint, sam, transformed, physical, conditions),
    }
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


def template_parameters(sam: dict[str, Any], given: list[str]) -> dict[str, str]:
    """The template's parameter defaults with the KEY=VALUE overrides (an unknown key fails)."""
    overrides = dict(p.split("=", 1) for p in given)
    parameters = {k: str(v.get("Default", "")) for k, v in sam.get("Parameters", {}).items()}
    unknown = set(overrides) - set(parameters)
    if unknown:
        raise SystemExit(f"unknown template parameters: {', '.join(sorted(unknown))}")
    parameters.update(overrides)
    return parameters


def referenced(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` names (or a `Fn::Sub` of one `${X}`)."""
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref" and isinstance(arg, str):
            return arg
        if fn == "Fn::GetAtt":
            return arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]
        if fn == "Fn::Sub" and isinstance(arg, str) and "${" in arg:
            return arg.split("${", 1)[1].split("}", 1)[0].split(".", 1)[0]
    return None


def url_function(url: dict[str, Any]) -> str:
    """The logical id of the function a Lambda::Url points at."""
    return referenced(url.get("Properties", {}).get("TargetFunctionArn")) or "?"


def http_routes(transformed: dict[str, Any], conditions: dict[str, bool]) -> dict[str, list]:
    """Per function logical id, the HTTP API routes that invoke it, from each
    AWS::ApiGatewayV2::Api whose condition holds: the paths of its OpenAPI `Body` (each
    method's `x-amazon-apigateway-integration` uri names the function's Arn) and its
    AWS::ApiGatewayV2::Route resources (through the Target integration's IntegrationUri)."""
    import re

    resources = transformed.get("Resources", {})
    holds = lambda r: not r.get("Condition") or conditions.get(r["Condition"], True)  # noqa: E731
    routes: dict[str, list] = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::ApiGatewayV2::Api" or not holds(resource):
            continue
        body = resource.get("Properties", {}).get("Body") or {}
        for path, methods in (body.get("paths") or {}).items():
            for method, operation in methods.items():
                uri = (operation or {}).get("x-amazon-apigateway-integration", {}).get("uri")
                text = uri.get("Fn::Sub") if isinstance(uri, dict) else uri
                found = re.search(r"\$\{([A-Za-z0-9]+)\.Arn\}", text if isinstance(text, str) else "")
                if found:
                    routes.setdefault(found.group(1), []).append(
                        {"method": method.upper(), "path": path})
    for resource in resources.values():
        if resource.get("Type") != "AWS::ApiGatewayV2::Route" or not holds(resource):
            continue
        props = resource.get("Properties", {})
        method, _, path = str(props.get("RouteKey", "")).partition(" ")
        integration = resources.get(referenced(props.get("Target")) or "", {})
        function = referenced(integration.get("Properties", {}).get("IntegrationUri"))
        if function and path:
            routes.setdefault(function, []).append({"method": method.upper(), "path": path})
    return routes


def runtime(session: Any, endpoint: str, sam: dict[str, Any], transformed: dict[str, Any],
            physical: dict[str, str], conditions: dict[str, bool]) -> dict[str, Any]:
    """What `stack up` needs to run the functions as Lambda would, read back from the
    emulator where it holds it (so what CloudFormation resolved is what runs): per function
    its binary (the SAM Metadata's BuildProperties.Binary), configuration and environment,
    its role's statements (inline and managed policies, resolved), its HTTP API routes
    (the APIs' OpenAPI bodies and ApiGatewayV2 routes), whether a Function URL
    invokes it, its schedules, its SQS event source mappings with their queue's settings
    (`sqs`: the ones `stack up` pumps) and the queues of the mappings the template deploys
    paused (`paused_sqs`: not pumped, as Lambda does not poll them)."""
    import ast

    client = lambda service: session.client(service, endpoint_url=endpoint)  # noqa: E731
    lam, iam, sqs, events = client("lambda"), client("iam"), client("sqs"), client("events")

    def document(value: Any) -> dict[str, Any]:
        # moto keeps an inline policy created by CloudFormation as Python's repr of a dict
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return ast.literal_eval(value)
        return value

    def statements(role_logical: str, role_name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            doc = document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
            found += as_list(doc.get("Statement"))
        role = transformed["Resources"].get(role_logical, {}).get("Properties", {})
        for arn in role.get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and "Ref" in arn:
                arn = physical.get(arn["Ref"], "")
            if not isinstance(arn, str) or ":aws:policy/" in arn:
                continue  # AWS managed (logs): no AWS API call of ours needs it here
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
            version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
            found += as_list(document(version["PolicyVersion"]["Document"]).get("Statement"))
        return found

    queue_urls = {
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]: url
        for url in sqs.list_queues().get("QueueUrls", [])
    }
    schedules: dict[str, list[str]] = {}
    for rule in events.list_rules().get("Rules", []):
        if "ScheduleExpression" not in rule:
            continue
        targets = events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
        if rule.get("State") == "ENABLED":
            for target in targets:
                schedules.setdefault(target["Arn"], []).append(rule["ScheduleExpression"])
        # moto matches every PutEvents against every rule of the bus, a schedule rule
        # included (no pattern matches all), and fails the call on its Lambda target
        # (NotImplementedError: a 500 to the function publishing an Action Result).
        # `stack up` runs the schedule itself, so the emulator's rule loses its targets
        # (the rule is kept, as the disabled event source mappings are).
        if targets:
            events.remove_targets(Rule=rule["Name"], Ids=[t["Id"] for t in targets])

    api_routes = http_routes(transformed, conditions)
    url_functions = {
        url_function(r) for r in transformed.get("Resources", {}).values()
        if r.get("Type") == "AWS::Lambda::Url"
        and (not r.get("Condition") or conditions.get(r["Condition"], True))
    }
    # The mappings the template deploys paused: `Enabled` false once its conditions are
    # resolved (a family ExecutorFamilies leaves out, ActionRequests=false). Lambda does
    # not poll their queues, so `stack up` must not pump them either: a message waits there.
    paused_mappings = {
        physical[logical_id]
        for logical_id, r in transformed.get("Resources", {}).items()
        if r.get("Type") == "AWS::Lambda::EventSourceMapping" and logical_id in physical
        and not enabled(r.get("Properties", {}).get("Enabled", True))
    }
    functions = []
    for logical_id, resource in sam.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function" or logical_id not in physical:
            continue
        name = physical[logical_id]
        got = lam.get_function(FunctionName=name)
        config = got["Configuration"]
        role_name = config["Role"].rsplit("/", 1)[-1]
        # SAM's HttpApi events become paths of their API's OpenAPI body: read there, as the
        # template's own routes are.
        routes = api_routes.get(logical_id, [])
        mappings = []
        paused = []
        for m in lam.list_event_source_mappings(FunctionName=name).get("EventSourceMappings", []):
            url = queue_urls.get(m["EventSourceArn"])
            if url is None:
                continue
            if m["UUID"] in paused_mappings:
                paused.append(url)
                continue
            # moto runs an enabled SQS mapping itself: on every message sent it receives the
            # message (counting a receive) and tries to invoke the function in Docker, which
            # fails, so messages reach the DLQ unseen. `stack up` pumps the mapping as Lambda
            # does, so the emulator's copy is switched off (its settings are kept).
            if m.get("State") != "Disabled":
                lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            redrive = json.loads(attrs["RedrivePolicy"]) if "RedrivePolicy" in attrs else None
            mappings.append({
                "queue_arn": m["EventSourceArn"],
                "queue_url": url,
                "batch_size": m.get("BatchSize", 10),
                "batching_window_seconds": m.get("MaximumBatchingWindowInSeconds", 0),
                "max_concurrency": m.get("ScalingConfig", {}).get("MaximumConcurrency"),
                "report_batch_item_failures":
                    "ReportBatchItemFailures" in m.get("FunctionResponseTypes", []),
                "visibility_timeout": int(attrs.get("VisibilityTimeout", "30")),
                "fifo": attrs.get("FifoQueue") == "true",
                "redrive": redrive and {
                    "dead_letter_target_arn": redrive["deadLetterTargetArn"],
                    "max_receive_count": int(redrive["maxReceiveCount"]),
                },
            })
        functions.append({
            "logical_id": logical_id,
            "name": name,
            "arn": config["FunctionArn"],
            "binary": resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary", ""),
            "timeout": config.get("Timeout", 3),
            "memory": config.get("MemorySize", 128),
            "reserved_concurrency":
                got.get("Concurrency", {}).get("ReservedConcurrentExecutions"),
            "role_arn": config["Role"],
            "environment": config.get("Environment", {}).get("Variables", {}),
            "statements": statements(f"{logical_id}Role", role_name),
            "http_routes": routes,
            "function_url": logical_id in url_functions,
            "schedules": schedules.get(config["FunctionArn"], []),
            "sqs": mappings,
            # Deployed paused (not pumped): their queues' URLs, for the state file's reader.
            "paused_sqs": paused,
        })
    return {"account": "123456789012", "functions": functions}


def enabled(value: Any) -> bool:
    """A resolved `Enabled` property: CloudFormation takes the boolean or its text."""
    return str(value).lower() != "false"


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


API_HOST = "https://${HookApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
FUNCTION_URL = ".FunctionUrl}"


def resolve_outputs(
    template: dict[str, Any],
    stack: dict[str, Any],
    conditions: dict[str, bool],
    parameters: dict[str, str],
    physical: dict[str, str],
    stand_ins: dict[str, str],
    hook_base_url: str,
) -> dict[str, str]:
    """Every output of the template whose condition holds, resolved.

    moto resolves what refers to resources it created; an output that refers to a skipped
    one it drops (a secret's Ref) or leaves unresolved (`${HookApi}` in the hook URLs). Those
    are resolved here: a secret's Ref is the ARN of the secret created in its place, the
    HTTP API's URL is the loopback base URL."""
    given = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    resolved: dict[str, str] = {}
    for key, output in template.get("Outputs", {}).items():
        condition = output.get("Condition")
        if condition and not conditions.get(condition, True):
            continue
        value = output["Value"]
        sub = value.get("Fn::Sub") if isinstance(value, dict) else None
        if isinstance(sub, str) and sub.startswith(API_HOST):
            path = sub[len(API_HOST):]
            resolved[key] = hook_base_url + resolve({"Fn::Sub": path}, parameters, physical)
        elif isinstance(sub, str) and sub.startswith("${") and FUNCTION_URL in sub.split("}")[0] + "}" \
                and referenced(value) in stand_ins:
            # `${HookIngestUrl.FunctionUrl}hooks/okta/...`: the URL's stand-in ends with "/".
            path = sub.split(FUNCTION_URL, 1)[1]
            resolved[key] = stand_ins[referenced(value)] + resolve(
                {"Fn::Sub": path}, parameters, physical)
        elif isinstance(value, dict) and value.get("Ref") in stand_ins:
            resolved[key] = stand_ins[value["Ref"]]
        elif key in given and "${" not in given[key]:
            resolved[key] = given[key]
        else:
            resolved[key] = str(resolve(value, parameters, physical))
        if not isinstance(resolved[key], str) or "${" in resolved[key] or resolved[key] in (
            "None", ""):
            raise RuntimeError(f"output {key} did not resolve: {value!r} -> {resolved[key]!r}")
    return resolved


NO_VALUE = {"Ref": "AWS::NoValue"}

# Types moto's CloudFormation does not implement whose attributes an output reads: moto
# fails DescribeStacks on an output with `Fn::GetAtt` (or `${X.Attr}`) of a resource it
# skipped ("references undefined resource"). In the stack moto gets, such a reference is a
# literal (`${!X.Attr}`), so the output reads `${X.Attr}…` there, unresolved as `${HookApi}`
# is: resolve_outputs resolves it from the stand-in, and `--stack` readers (the CLI's
# stack_outputs) take an unresolved output from the state file.
UNIMPLEMENTED_WITH_ATTRIBUTES = {"AWS::Lambda::Url"}


def for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """The template with every output's reference to an attribute of a resource of
    UNIMPLEMENTED_WITH_ATTRIBUTES made a literal."""
    skipped = {k for k, r in template.get("Resources", {}).items()
               if r.get("Type") in UNIMPLEMENTED_WITH_ATTRIBUTES}
    if not skipped:
        return template

    def literal(node: Any) -> Any:
        if isinstance(node, list):
            return [literal(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "Fn::GetAtt" in node and referenced(node) in skipped:
            attribute = node["Fn::GetAtt"]
            name = ".".join(attribute) if isinstance(attribute, list) else str(attribute)
            return {"Fn::Sub": "${!" + name + "}"}
        sub = node.get("Fn::Sub")
        if isinstance(sub, str):
            for k in skipped:
                sub = sub.replace("${" + k + ".", "${!" + k + ".")
            return {**node, "Fn::Sub": sub}
        return {k: literal(v) for k, v in node.items()}

    outputs = {k: literal(o) for k, o in template.get("Outputs", {}).items()}
    return {**template, "Outputs": outputs}


def fold_conditions(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """Every `Fn::If` replaced by its branch for these parameters, and `AWS::NoValue`
    removed from lists and maps, as CloudFormation does. moto leaves a None in a list where
    an `!If [..., !Ref AWS::NoValue]` falls through, which its IAM validator then refuses
    (MalformedPolicyDocument), so the stack is created from the folded template."""
    conditions = evaluate_conditions(template, parameters)

    def fold(node: Any) -> Any:
        if isinstance(node, list):
            folded = [fold(n) for n in node]
            return [n for n in folded if n != NO_VALUE]
        if isinstance(node, dict):
            if len(node) == 1 and "Fn::If" in node:
                name, then, otherwise = node["Fn::If"]
                return fold(then if conditions[name] else otherwise)
            folded = {k: fold(v) for k, v in node.items()}
            return {k: v for k, v in folded.items() if v != NO_VALUE}
        return node

    folded = {
        key: (value if key == "Conditions" else fold(value)) for key, value in template.items()
    }
    # Lambda holds environment values as strings; moto keeps a Number parameter's Ref (e.g.
    # OKTA_HOOKS_MAX_RECEIVE_COUNT) as a number, so those are resolved to text here.
    for resource in folded.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
                variables[name] = str(parameters[value["Ref"]])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                variables[name] = str(value)
    return folded


def evaluate_conditions(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, bool]:
    """The template's Conditions over the given parameter values (Equals, Not, And, Or,
    Condition, Select/Split/Sub/Ref as the OtherOrgN conditions use them, Join)."""
    conditions = template.get("Conditions", {})
    cache: dict[str, bool] = {}

    def value(node: Any) -> Any:
        if isinstance(node, (str, int, float, bool)):
            return node
        if isinstance(node, list):
            return [value(n) for n in node]
        (fn, arg), = node.items()
        if fn == "Ref":
            return parameters.get(arg, "")
        if fn == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            for name, replacement in parameters.items():
                text = text.replace("${" + name + "}", str(replacement))
            return text
        if fn == "Fn::Split":
            return value(arg[1]).split(arg[0])
        if fn == "Fn::Join":
            # A CommaDelimitedList parameter's Ref is its text here: its items are the
            # text's comma-separated parts (AccountSendsRequests joins ActionRequestPrincipals).
            items = value(arg[1])
            items = items.split(",") if isinstance(items, str) else items
            return arg[0].join(str(i) for i in items)
        if fn == "Fn::Select":
            return value(arg[1])[int(value(arg[0]))]
        if fn == "Fn::Equals":
            return str(value(arg[0])) == str(value(arg[1]))
        if fn == "Fn::Not":
            return not value(arg[0])
        if fn == "Fn::And":
            return all(value(a) for a in arg)
        if fn == "Fn::Or":
            return any(value(a) for a in arg)
        if fn == "Condition":
            return condition(arg)
        raise ValueError(f"condition function {fn} not understood")

    def condition(name: str) -> bool:
        if name not in cache:
            cache[name] = bool(value(conditions[name]))
        return cache[name]

    return {name: condition(name) for name in conditions}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # noqa: BLE001 - one line for the CLI, not a traceback
        log(f"failed: {type(error).__name__}: {error}")
        sys.exit(1)
