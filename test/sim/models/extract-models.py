#!/usr/bin/env python3
"""Extract the published-model data the simulator validates requests against.

Reads the PUBLISHED service models (botocore's data/<service>/<version>/service-2.json[.gz]) and
writes one JSON file per group next to this script: for each operation the simulator serves, its
input shape tree (types, members, required members, enums, min/max, patterns, and where a member
travels: header or URI, for REST protocols) and the errors it declares, with their wire codes and
HTTP statuses where the model gives them (query protocols answer with the code, not the shape
name). Documentation is dropped; only constraints are kept.

- secrets-kms.json: Secrets Manager and KMS (test/sim/services/secrets-manager.ts, kms.ts)
- chat.json: SNS Publish and Lambda Invoke, the chat functions' hand-off and answers
  (test/sim/services/sns.ts, lambda.ts)

The simulator reads the JSON (test/sim/services/json-model.ts); tests never run Python. Rerun
after a botocore upgrade and review the diff:

    python3 test/sim/models/extract-models.py
"""

import gzip
import json
import os

import botocore

GROUPS = {
    "secrets-kms.json": {
        "secretsmanager": ("2017-10-17", ["DescribeSecret", "ListSecrets", "GetSecretValue", "BatchGetSecretValue"]),
        "kms": ("2014-11-01", ["DescribeKey"]),
    },
    "chat.json": {
        "sns": ("2010-03-31", ["Publish"]),
        "lambda": ("2015-03-31", ["Invoke"]),
    },
}
HERE = os.path.dirname(os.path.abspath(__file__))
KEEP = ("type", "min", "max", "enum", "pattern", "required")
MEMBER_KEEP = ("location", "locationName")


def load(service, version):
    base = os.path.join(os.path.dirname(botocore.__file__), "data", service, version, "service-2.json")
    if os.path.exists(base + ".gz"):
        with gzip.open(base + ".gz") as handle:
            return json.load(handle)
    with open(base) as handle:
        return json.load(handle)


def shape_tree(model, name, seen):
    shape = model["shapes"][name]
    out = {key: shape[key] for key in KEEP if key in shape}
    if name in seen:
        return out
    seen = seen | {name}
    if shape["type"] == "structure":
        out["members"] = {
            member: {
                **shape_tree(model, spec["shape"], seen),
                **{key: spec[key] for key in MEMBER_KEEP if key in spec},
            }
            for member, spec in shape["members"].items()
        }
    elif shape["type"] == "list":
        out["member"] = shape_tree(model, shape["member"]["shape"], seen)
    elif shape["type"] == "map":
        out["key"] = shape_tree(model, shape["key"]["shape"], seen)
        out["value"] = shape_tree(model, shape["value"]["shape"], seen)
    return out


def error_codes(model, errors):
    """Wire code and HTTP status of each declared error whose shape names them."""
    codes = {}
    for error in errors:
        trait = model["shapes"][error["shape"]].get("error", {})
        if "code" in trait or "httpStatusCode" in trait:
            codes[error["shape"]] = {key: trait[key] for key in ("code", "httpStatusCode") if key in trait}
    return codes


def extract(services):
    result = {}
    for service, (version, operations) in services.items():
        model = load(service, version)
        entry = {"apiVersion": version, "operations": {}}
        if "targetPrefix" in model["metadata"]:
            entry["targetPrefix"] = model["metadata"]["targetPrefix"]
        for op in operations:
            spec = model["operations"][op]
            errors = spec.get("errors", [])
            entry["operations"][op] = {
                "input": shape_tree(model, spec["input"]["shape"], frozenset()),
                "errors": [error["shape"] for error in errors],
            }
            codes = error_codes(model, errors)
            if codes:
                entry["operations"][op]["errorCodes"] = codes
        result[service] = entry
    return result


def main():
    for name, services in GROUPS.items():
        with open(os.path.join(HERE, name), "w") as handle:
            json.dump(extract(services), handle, indent=1, sort_keys=True)
            handle.write("\n")


if __name__ == "__main__":
    main()
