"""Each function's IAM policy from template.yaml, enforced on the AWS calls it makes, as AWS would.

moto grants everything, so a policy that lacks a permission passes every local test and fails on AWS.
Within `enforce(logical_id)`, every call made by a client of boto3's default session (all of the
layer's, store/aws.py) and every presigned URL or POST it signs is first authorised against that
function's policy; a denied one raises the ClientError AWS would answer with (AccessDeniedException,
S3's AccessDenied) before it reaches the endpoint.

What is evaluated: the function's identity policies (inline `Statement`s, `!Ref` to
AWS::IAM::ManagedPolicy resources, SAM policy templates), Allow/Deny, Action/NotAction and
Resource/NotResource with wildcards, and the String*/Bool condition operators with the
ForAllValues/ForAnyValue qualifiers, on the request's `dynamodb:LeadingKeys` and `ses:FromAddress`.
Not evaluated: SCPs, permission boundaries, resource policies (the bucket policy), KMS key policies,
session policies, and the permissions the Lambda runtime uses itself (logs, X-Ray).
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from functools import cache

import boto3
from botocore.exceptions import ClientError

from devtools.template import functions, template

# moto's account; both the policies and the requests name it, so any fixed value would do.
ACCOUNT = "123456789012"
PARTITION = "aws"


# ------------------------------------------------------------------ requests
@dataclass(frozen=True)
class Request:
    """One authorisation a call needs: an action on a resource, with its condition keys."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _table_arn(table: str, index: str | None = None) -> str:
    arn = f"arn:{PARTITION}:dynamodb:{_region()}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _object_arn(bucket: str, key: str = "") -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}" if key else f"arn:{PARTITION}:s3:::{bucket}"


@cache
def _key_attributes() -> dict[str | None, str]:
    """Partition key attribute of the table (None) and of each index, from template.yaml."""
    table = template()["Resources"]["Table"]["Properties"]

    def hash_key(schema: list) -> str:
        return next(part["AttributeName"] for part in schema if part["KeyType"] == "HASH")

    found: dict[str | None, str] = {None: hash_key(table["KeySchema"])}
    for index in table.get("GlobalSecondaryIndexes", []) + table.get("LocalSecondaryIndexes", []):
        found[index["IndexName"]] = hash_key(index["KeySchema"])
    return found


def _scalar(value: dict) -> str:
    """The text of an AttributeValue ({"S": "ITEM#x"} -> "ITEM#x")."""
    return str(next(iter(value.values())))


def _leading_keys(keys: list[dict], index: str | None = None) -> dict[str, tuple[str, ...]]:
    attribute = _key_attributes()[index]
    return {"dynamodb:LeadingKeys": tuple(sorted({_scalar(key[attribute]) for key in keys if attribute in key}))}


def _queried_partition(params: dict) -> list[dict]:
    """The partition key value a Query names (KeyConditionExpression `pk = :v`, or KeyConditions)."""
    attribute = _key_attributes()[params.get("IndexName")]
    if conditions := params.get("KeyConditions"):
        values = conditions.get(attribute, {}).get("AttributeValueList", [])
        return [{attribute: values[0]}] if values else []
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    for name, placeholder in re.findall(r"([#\w]+)\s*=\s*(:\w+)", params.get("KeyConditionExpression", "")):
        if names.get(name, name) == attribute and placeholder in values:
            return [{attribute: values[placeholder]}]
    return []


_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _dynamodb(operation: str, params: dict) -> list[Request]:
    if operation == "TransactWriteItems":
        # Each element is authorised as its own action on its own key (there is no TransactWriteItems action).
        return [
            Request(
                f"dynamodb:{_TRANSACT_WRITE[kind]}",
                _table_arn(element["TableName"]),
                _leading_keys([element.get("Key") or element["Item"]]),
            )
            for entry in params["TransactItems"]
            for kind, element in entry.items()
        ]
    if operation == "TransactGetItems":
        return [
            Request("dynamodb:GetItem", _table_arn(entry["Get"]["TableName"]), _leading_keys([entry["Get"]["Key"]]))
            for entry in params["TransactItems"]
        ]
    if operation == "BatchGetItem":
        # One authorisation per table, whose LeadingKeys are all the keys asked of it.
        return [
            Request("dynamodb:BatchGetItem", _table_arn(table), _leading_keys(asked["Keys"]))
            for table, asked in params["RequestItems"].items()
        ]
    if operation == "BatchWriteItem":
        return [
            Request(
                "dynamodb:BatchWriteItem",
                _table_arn(table),
                _leading_keys(
                    [w["PutRequest"]["Item"] if "PutRequest" in w else w["DeleteRequest"]["Key"] for w in writes]
                ),
            )
            for table, writes in params["RequestItems"].items()
        ]
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        return [
            Request(
                f"dynamodb:{operation}",
                _table_arn(params["TableName"]),
                _leading_keys([params.get("Key") or params["Item"]]),
            )
        ]
    if operation == "Query":
        index = params.get("IndexName")
        return [
            Request(
                "dynamodb:Query",
                _table_arn(params["TableName"], index),
                _leading_keys(_queried_partition(params), index),
            )
        ]
    if "TableName" in params:  # Scan and table-level operations: no LeadingKeys in the request
        return [Request(f"dynamodb:{operation}", _table_arn(params["TableName"], params.get("IndexName")))]
    return [Request(f"dynamodb:{operation}", "*")]


# S3 operations whose IAM action is not s3:<operation>, and what they act on ("object" or "bucket").
_S3_ACTIONS = {
    "GetObject": ("s3:GetObject", "object"),
    "HeadObject": ("s3:GetObject", "object"),
    "PutObject": ("s3:PutObject", "object"),
    "DeleteObject": ("s3:DeleteObject", "object"),
    "ListObjectsV2": ("s3:ListBucket", "bucket"),
    "ListObjects": ("s3:ListBucket", "bucket"),
    "HeadBucket": ("s3:ListBucket", "bucket"),
    "ListObjectVersions": ("s3:ListBucketVersions", "bucket"),
    # Multipart uploads: every step that adds bytes is s3:PutObject; listing and aborting have their own.
    "CreateMultipartUpload": ("s3:PutObject", "object"),
    "UploadPart": ("s3:PutObject", "object"),
    "CompleteMultipartUpload": ("s3:PutObject", "object"),
    "ListParts": ("s3:ListMultipartUploadParts", "object"),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", "object"),
}
# One version of an object, named by its id, is a permission of its own.
_S3_VERSION_ACTIONS = {
    "GetObject": "s3:GetObjectVersion",
    "HeadObject": "s3:GetObjectVersion",
    "DeleteObject": "s3:DeleteObjectVersion",
}


def _s3(operation: str, params: dict) -> list[Request]:
    bucket = params.get("Bucket", "")
    if operation == "DeleteObjects":
        return [
            Request(
                "s3:DeleteObjectVersion" if "VersionId" in entry else "s3:DeleteObject",
                _object_arn(bucket, entry["Key"]),
            )
            for entry in params["Delete"]["Objects"]
        ]
    if "VersionId" in params and operation in _S3_VERSION_ACTIONS:
        return [Request(_S3_VERSION_ACTIONS[operation], _object_arn(bucket, params["Key"]))]
    if operation == "CopyObject":
        source = params["CopySource"]
        source_bucket, _, source_key = (
            source.split("?")[0].lstrip("/").partition("/")
            if isinstance(source, str)
            else (source["Bucket"], None, source["Key"])
        )
        return [
            Request("s3:GetObject", _object_arn(source_bucket, source_key)),
            Request("s3:PutObject", _object_arn(bucket, params["Key"])),
        ]
    if operation not in _S3_ACTIONS:
        raise NotImplementedError(f"devtools.iam: which IAM action does s3 {operation} need? Add it to _S3_ACTIONS")
    action, target = _S3_ACTIONS[operation]
    return [Request(action, _object_arn(bucket, params["Key"]) if target == "object" else _object_arn(bucket))]


def _ses(operation: str, params: dict) -> list[Request]:
    if operation in ("SendEmail", "SendRawEmail"):
        sender = parseaddr(params.get("Source", ""))[1]
        return [
            Request(
                f"ses:{operation}",
                f"arn:{PARTITION}:ses:{_region()}:{ACCOUNT}:identity/{sender}",
                {"ses:FromAddress": (sender,)},
            )
        ]
    return [Request(f"ses:{operation}", "*")]


def _queue_arn(queue_url: str) -> str:
    return f"arn:{PARTITION}:sqs:{_region()}:{ACCOUNT}:{queue_url.rstrip('/').rsplit('/', 1)[-1]}"


def requests_for(service: str, operation: str, params: dict) -> list[Request]:
    """The authorisations an API call needs (all of them must be allowed)."""
    if service == "dynamodb":
        return _dynamodb(operation, params)
    if service == "s3":
        return _s3(operation, params)
    if service == "ses":
        return _ses(operation, params)
    if service == "sqs" and "QueueUrl" in params:
        return [Request(f"sqs:{operation}", _queue_arn(params["QueueUrl"]))]
    if service == "secretsmanager" and "SecretId" in params:  # the functions are given the secret's ARN
        return [Request(f"secretsmanager:{operation}", params["SecretId"])]
    return [Request(f"{service}:{operation}", "*")]  # unknown: only a Resource "*" grant (none here) allows it


# ------------------------------------------------------------------ policies
@dataclass(frozen=True)
class Statement:
    sid: str  # "<policy>.<Sid or index>", to name it in reports
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]]
    not_action: bool = False
    not_resource: bool = False


@dataclass(frozen=True)
class Use:
    """What of an Allow statement a request used: one action, one resource, one LeadingKeys pattern."""

    statement: str
    action: str
    resource: str
    leading_key: str | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    uses: tuple[Use, ...] = ()
    denied_by: str | None = None  # an explicit Deny's statement


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


@cache
def _glob(pattern: str, flags: int = 0) -> re.Pattern:
    """IAM's wildcards: `*` any run of characters (`/` and `:` included), `?` any one."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z", flags | re.DOTALL
    )


def _matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return bool(_glob(pattern, re.IGNORECASE if ignore_case else 0).match(value))


def _value_matches(operator: str, expected: str, actual: str) -> bool:
    if operator == "StringEquals":
        return expected == actual
    if operator == "StringEqualsIgnoreCase":
        return expected.lower() == actual.lower()
    if operator == "StringLike":
        return _matches(expected, actual)
    if operator == "Bool":
        return expected.lower() == actual.lower()
    raise NotImplementedError(f"devtools.iam does not evaluate the condition operator {operator}")


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
}


def _condition_holds(qualified: str, key: str, expected: tuple[str, ...], context: Mapping) -> tuple[bool, set[str]]:
    """(holds, the expected values that matched) for one operator and key, per IAM's documented rules."""
    qualifier, _, operator = qualified.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    negated = operator in _NEGATED
    operator = _NEGATED.get(operator, operator)
    actual = next((values for name, values in context.items() if name.lower() == key.lower()), None)
    if not actual:
        # ForAllValues holds on an absent key (nothing fails it); ForAnyValue and plain operators do not.
        return qualifier == "ForAllValues" or if_exists or (negated and qualifier != "ForAnyValue"), set()
    matched = {e for e in expected for a in actual if _value_matches(operator, e, a)}

    def hit(value: str) -> bool:
        found = any(_value_matches(operator, e, value) for e in expected)
        return not found if negated else found

    if qualifier == "ForAllValues":
        return all(hit(value) for value in actual), matched
    return any(hit(value) for value in actual), matched


def _statement_applies(statement: Statement, request: Request) -> tuple[list[Use], bool]:
    """The uses of `statement` by `request`, and whether it applies at all."""
    actions = [a for a in statement.actions if _matches(a, request.action, ignore_case=True)]
    resources = [r for r in statement.resources if _matches(r, request.resource)]
    if bool(actions) == statement.not_action or bool(resources) == statement.not_resource:
        return [], False
    leading: set[str] = set()
    for qualified, keys in statement.conditions.items():
        for key, expected in keys.items():
            holds, matched = _condition_holds(qualified, key, expected, request.context)
            if not holds:
                return [], False
            if key.lower() == "dynamodb:leadingkeys":
                leading |= matched
    uses = [
        Use(statement.sid, action, resource, key)
        for action in actions or [request.action]
        for resource in resources or [request.resource]
        for key in sorted(leading) or [None]
    ]
    return uses, True


@dataclass(frozen=True)
class Policy:
    function: str
    statements: tuple[Statement, ...]

    def decide(self, request: Request) -> Decision:
        """An explicit Deny wins; otherwise an Allow is needed (every matching Allow counts as used)."""
        uses: list[Use] = []
        for statement in self.statements:
            applied, applies = _statement_applies(statement, request)
            if applies and statement.effect == "Deny":
                return Decision(False, denied_by=statement.sid)
            if applies:
                uses += applied
        return Decision(bool(uses), tuple(uses))

    def grants(self) -> set[Use]:
        """Everything the Allow statements grant, at the grain `Use` records."""
        granted = set()
        for statement in self.statements:
            if statement.effect != "Allow":
                continue
            leading = [
                v
                for qualified, keys in statement.conditions.items()
                for key, values in keys.items()
                if key.lower() == "dynamodb:leadingkeys"
                for v in values
            ] or [None]
            granted |= {
                Use(statement.sid, action, resource, key)
                for action in statement.actions
                for resource in statement.resources
                for key in leading
            }
        return granted


class _Resolver:
    """Template intrinsics, resolved to what the local stack (or the test) really uses.

    The bucket and table have local names, found through the environment the functions get:
    TABLE_NAME is `!Ref Table`, BUCKET_NAME is the bucket's own name expression, and a parameter
    passed to the functions (SHARE_SENDER: !Ref ShareSenderEmail) has the value they were given.
    """

    def __init__(self, environment: Mapping[str, str | None]):
        resources = template()["Resources"]
        declared = dict(template().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
        for function in functions().values():
            declared.update(function["Properties"].get("Environment", {}).get("Variables", {}))
        self.bucket_expression = resources["Bucket"]["Properties"]["BucketName"]
        self.refs = {name: str(spec.get("Default", "")) for name, spec in template().get("Parameters", {}).items()}
        self.refs.update({"AWS::Partition": PARTITION, "AWS::Region": _region(), "AWS::AccountId": ACCOUNT})
        self.bucket = ""
        for variable, expression in declared.items():
            if environment.get(variable) is None:
                continue
            if expression == self.bucket_expression:
                self.bucket = environment[variable]
            elif isinstance(expression, dict) and "Ref" in expression:
                self.refs[expression["Ref"]] = environment[variable]
        self.refs["Bucket"] = self.bucket
        self.attributes = {"Table.Arn": _table_arn(self.refs.get("Table", "")), "Bucket.Arn": _object_arn(self.bucket)}
        for name, resource in resources.items():  # a queue's !Ref is its URL, given to the functions that use it
            if resource["Type"] == "AWS::SQS::Queue":
                url = self.refs.get(name) or name
                self.attributes[f"{name}.Arn"] = _queue_arn(url)
                self.attributes[f"{name}.QueueName"] = url.rstrip("/").rsplit("/", 1)[-1]

    def __call__(self, value):
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.refs[value["Ref"]]
        if "Fn::GetAtt" in value:
            return self.attributes[".".join(_listed(value["Fn::GetAtt"]))]
        if "Fn::Sub" in value:
            text, local = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
            if isinstance(self.bucket_expression, dict):  # the bucket's name, spelled out as its expression
                text = text.replace(self.bucket_expression["Fn::Sub"], self.bucket)
            names = {**self.refs, **self.attributes, **{k: self(v) for k, v in local.items()}}
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(names[m.group(1)]), text)
        return {key: self(item) for key, item in value.items()}


@cache
def _policy_templates():
    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

    return PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())


def _documents(policies: list, resolve: _Resolver) -> Iterator[tuple[str, dict]]:
    resources = template()["Resources"]
    for position, policy in enumerate(policies):
        if isinstance(policy, dict) and set(policy) == {"Ref"} and policy["Ref"] in resources:
            yield policy["Ref"], resources[policy["Ref"]]["Properties"]["PolicyDocument"]
        elif isinstance(policy, dict) and "Statement" in policy:
            yield f"Inline{position}", policy
        elif isinstance(policy, dict) and len(policy) == 1 and _policy_templates().has(next(iter(policy))):
            name, parameters = next(iter(policy.items()))
            yield name, _policy_templates().convert(name, resolve(parameters or {}))
        else:
            # An AWS managed policy by name: its statements are not in this repository.
            raise NotImplementedError(f"devtools.iam cannot evaluate the policy {policy!r}")


def _condition_values(condition: dict) -> dict:
    return {
        qualified: {key: tuple(str(v) for v in _listed(values)) for key, values in keys.items()}
        for qualified, keys in (condition or {}).items()
    }


def _policy(logical_id: str, environment: Mapping[str, str]) -> Policy:
    resolve = _Resolver(environment)
    statements = []
    for name, document in _documents(functions()[logical_id]["Properties"].get("Policies", []), resolve):
        for position, raw in enumerate(_listed(document["Statement"])):
            raw = resolve(raw)
            statements.append(
                Statement(
                    sid=f"{name}.{raw.get('Sid', position)}",
                    effect=raw["Effect"],
                    actions=tuple(_listed(raw.get("Action", raw.get("NotAction")))),
                    resources=tuple(_listed(raw.get("Resource", raw.get("NotResource")))),
                    conditions=_condition_values(raw.get("Condition")),
                    not_action="NotAction" in raw,
                    not_resource="NotResource" in raw,
                )
            )
    return Policy(logical_id, tuple(statements))


@cache
def _cached_policy(logical_id: str, environment: tuple) -> Policy:
    return _policy(logical_id, dict(environment))


@cache
def _declared_variables() -> tuple[str, ...]:
    variables = set(template().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    for function in functions().values():
        variables |= set(function["Properties"].get("Environment", {}).get("Variables", {}))
    return tuple(sorted(variables | {"AWS_REGION", "AWS_DEFAULT_REGION"}))


def policy(logical_id: str) -> Policy:
    """The function's effective policy, with the names this process's environment gives the resources."""
    return _cached_policy(logical_id, tuple((name, os.environ.get(name)) for name in _declared_variables()))


# ------------------------------------------------------------------ enforcement
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("cloudshare_iam_function", default=None)
_recorders: list[list] = []
_install_lock = threading.Lock()

# The error each service answers a denied request with.
_DENIED = {"s3": ("AccessDenied", 403), "ses": ("AccessDenied", 403)}


def _denied(service: str, operation: str, request: Request, decision: Decision) -> ClientError:
    code, status = _DENIED.get(service, ("AccessDeniedException", 400))
    if operation == "HeadObject":  # a HEAD response has no body: S3's client sees only the status
        code = "403"
    reason = (
        f"with an explicit deny in {decision.denied_by}"
        if decision.denied_by
        else f"because no identity-based policy allows the {request.action} action"
    )
    message = (
        f"User: arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{_current.get()}Role/{_current.get()} is not "
        f"authorized to perform: {request.action} on resource: {request.resource} {reason}"
    )
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


def authorize(logical_id: str, service: str, operation: str, params: dict) -> None:
    """Raises the service's AccessDenied ClientError unless the function may make this call."""
    effective = policy(logical_id)
    for request in requests_for(service, operation, params):
        decision = effective.decide(request)
        for recorder in list(_recorders):
            recorder.append((logical_id, request, decision))
        if not decision.allowed:
            raise _denied(service, operation, request, decision)


def _before_parameter_build(params, model, context=None, **_kwargs) -> None:
    logical_id = _current.get()
    # A presigned POST builds its URL from CreateBucket, naming no key: it is checked when signed.
    if logical_id is None or (context or {}).get("is_presign_request") and model.name == "CreateBucket":
        return
    authorize(logical_id, model.service_model.service_name, model.name, params)


def _before_sign(request, **_kwargs) -> None:
    """A presigned POST lets its holder put the object its policy names: the signer needs s3:PutObject."""
    logical_id = _current.get()
    fields = request.context.get("s3-presign-post-fields")
    if logical_id is None or fields is None:
        return
    conditions = request.context.get("s3-presign-post-policy", {}).get("conditions", [])
    bucket = next(c["bucket"] for c in conditions if isinstance(c, dict) and "bucket" in c)
    authorize(logical_id, "s3", "PutObject", {"Bucket": bucket, "Key": fields["key"]})


def install() -> None:
    """Hooks the checks onto boto3's default session (once per session: moto's mock_aws starts each
    test with a new one); clients made before are dropped, as they copied the session's hooks."""
    with _install_lock:
        session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
        if getattr(session, "_cloudshare_iam", False):
            return
        session.events.register("before-parameter-build.*.*", _before_parameter_build, unique_id="cloudshare-iam")
        session.events.register("before-sign.s3.PutObject", _before_sign, unique_id="cloudshare-iam-post")
        session._cloudshare_iam = True
    from cloudshare.store.aws import client

    client.cache_clear()


def _assume(logical_id: str) -> contextvars.Token:
    if logical_id not in functions():
        raise KeyError(f"{logical_id} is not a function in template.yaml")
    install()
    return _current.set(logical_id)


def assume_role(logical_id: str) -> None:
    """From now on in this process (one function's own execution environment, devtools.workers),
    AWS calls are authorised as `logical_id`'s role."""
    _assume(logical_id)


@contextmanager
def enforce(logical_id: str):
    """Within the block (this thread or task), AWS calls are authorised as `logical_id`'s role."""
    token = _assume(logical_id)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def recording():
    """Collects (function, request, decision) for every authorisation made while the block runs."""
    decisions: list = []
    _recorders.append(decisions)
    try:
        yield decisions
    finally:
        _recorders.remove(decisions)
