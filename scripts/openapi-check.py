#!/usr/bin/env python3
"""Checks docs/openapi.yaml, and real responses against it, with openapi-spec-validator and jsonschema.

  openapi-check.py operations DOC          validates DOC as OpenAPI 3.1, then prints each operation as "METHOD PATH"
  openapi-check.py responses DOC RECORDS   checks each recorded response of RECORDS (a JSON array) against DOC

A record: {"method": "GET", "target": "/arenas/x?since=0", "status": 200, "headers": {"Content-Type": "..."},
"body_base64": "..."}. A response passes when DOC has an operation for its method and path, documents its status
(exactly, as NXX, or as default), documents its media type (the documented parameters, such as version=0.0.4 of
/metrics, must be among the response's), or no content for an empty body, and when a JSON or text body validates
against the documented schema and each documented header it sent against the header's schema. Prints one line a
record and exits 1 when any failed. The test suite runs it (OpenAPIContractTests); so can anyone, with the
interpreter scripts/install-deps.sh test prepares (.build/python/bin/python3).
"""
import base64
import json
import re
import sys

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

METHODS = ["get", "head", "post", "put", "patch", "delete", "options", "trace"]
DOCUMENT_URI = "urn:arena-server:openapi"


def load(path):
    with open(path, "rb") as file:
        document = yaml.safe_load(file)
    validate(document)
    return document


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path


def pointer(*parts):
    return "#/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def resolve(document, node):
    """Follows a local `$ref` (components/responses, ...) to what it names, with the pointer it names."""
    location = None
    while isinstance(node, dict) and "$ref" in node:
        location = node["$ref"]
        node = document
        for part in location[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, location


def media_type(value):
    """`text/plain; version=0.0.4; charset=utf-8` -> ("text/plain", {"version": "0.0.4", "charset": "utf-8"})."""
    parts = [part.strip() for part in value.split(";")]
    parameters = {}
    for parameter in parts[1:]:
        name, _, text = parameter.partition("=")
        parameters[name.strip().lower()] = text.strip().strip('"')
    return parts[0].lower(), parameters


def matches(documented, sent):
    kind, parameters = media_type(documented)
    sent_kind, sent_parameters = media_type(sent)
    if kind == "*/*":
        return True
    if kind.endswith("/*"):
        return sent_kind.startswith(kind[:-1]) and parameters.items() <= sent_parameters.items()
    return kind == sent_kind and parameters.items() <= sent_parameters.items()


def find_operation(document, method, path):
    """The operation for `method` on concrete `path`; a template without parameters wins over one with."""
    candidates = []
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            candidates.append((template.count("{"), template, item))
    for _, template, item in sorted(candidates, key=lambda entry: entry[0]):
        if method.lower() in item:
            return template, item[method.lower()]
    return None, None


def check(document, validator_for, record):
    """The problems of one recorded response (empty when it matches the document)."""
    method = record["method"]
    path = record["target"].split("?", 1)[0]
    status = str(record["status"])
    template, operation = find_operation(document, method, path)
    if operation is None:
        return [f"no operation {method} {path} in the document"]
    responses = operation["responses"]
    key = status if status in responses else status[0] + "XX" if status[0] + "XX" in responses else "default"
    if key not in responses:
        return [f"status {status} is not documented for {method} {template} (documented: {', '.join(responses)})"]
    response, location = resolve(document, responses[key])
    base = location or pointer("paths", template, method.lower(), "responses", key)
    base = base[1:]
    headers = {name.lower(): value for name, value in record.get("headers", {}).items()}
    body = base64.b64decode(record.get("body_base64", ""))
    problems = []
    for name, header in response.get("headers", {}).items():
        header, _ = resolve(document, header)
        if name.lower() in headers and "schema" in header:
            schema = validator_for(f"{base}/headers/{name.replace('~', '~0').replace('/', '~1')}/schema")
            for error in schema.iter_errors(headers[name.lower()]):
                problems.append(f"header {name}: {error.message}")
    content = response.get("content")
    if not content:
        if body:
            problems.append(f"a body of {len(body)} bytes where the document gives no content")
        return problems
    sent = headers.get("content-type")
    if sent is None:
        return problems + ["no Content-Type where the document gives " + ", ".join(content)]
    documented = next((name for name in content if matches(name, sent)), None)
    if documented is None:
        return problems + [f"Content-Type {sent!r} is not documented (documented: {', '.join(content)})"]
    if method == "HEAD" or "schema" not in content[documented]:
        return problems
    kind, _ = media_type(documented)
    if kind == "application/json" or kind.endswith("+json"):
        try:
            instance = json.loads(body)
        except ValueError as error:
            return problems + [f"the body is not JSON: {error}"]
    elif kind == "application/yaml":
        try:
            instance = yaml.safe_load(body)
        except yaml.YAMLError as error:
            return problems + [f"the body is not YAML: {error}"]
    elif kind.startswith("text/") or kind == "application/x-ndjson":
        try:
            instance = body.decode("utf-8")
        except UnicodeDecodeError as error:
            return problems + [f"the body is not UTF-8 text: {error}"]
    else:
        return problems  # binary: application/octet-stream
    schema = validator_for(f"{base}/content/{documented.replace('~', '~0').replace('/', '~1')}/schema")
    for error in sorted(schema.iter_errors(instance), key=lambda error: list(error.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(the body)"
        problems.append(f"{where}: {error.message}")
    return problems


def check_responses(document, records):
    registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012))

    def validator_for(location):
        return Draft202012Validator(
            {"$ref": DOCUMENT_URI + "#" + location}, registry=registry, format_checker=FormatChecker())

    failed = 0
    for record in records:
        problems = check(document, validator_for, record)
        what = f"{record['method']} {record['target']} {record['status']}"
        if problems:
            failed += 1
            print(f"FAIL {what}")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(f"ok   {what}")
    print(f"{len(records)} responses checked, {failed} failed")
    return 1 if failed else 0


def main(arguments):
    if len(arguments) == 2 and arguments[0] == "operations":
        for method, path in operations(load(arguments[1])):
            print(method, path)
        return 0
    if len(arguments) == 3 and arguments[0] == "responses":
        with open(arguments[2], encoding="utf-8") as file:
            records = json.load(file)
        return check_responses(load(arguments[1]), records)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
