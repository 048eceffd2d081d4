#!/usr/bin/env python3
"""Extract the Secrets Manager and KMS model data the simulator validates against.

Reads the PUBLISHED service models (botocore's data/secretsmanager/2017-10-17 and data/kms/2014-11-01
service-2.json[.gz]) and writes secrets-kms.json next to this script: for each operation the
simulator serves, its input shape tree (types, members, required members, enums, min/max, patterns)
and the errors it declares. Documentation is dropped; only constraints are kept.

The simulator (test/sim/services/secrets-manager.ts, kms.ts) reads the JSON; tests never run
Python. Rerun after a botocore upgrade and review the diff:

    python3 test/sim/models/extract-secrets.py
"""

import gzip
import json
import os

import botocore

SERVICES = {
    "secretsmanager": ("2017-10-17", ["DescribeSecret", "ListSecrets", "GetSecretValue", "BatchGetSecretValue"]),
    "kms": ("2014-11-01", ["DescribeKey"]),
}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "secrets-kms.json")
KEEP = ("type", "min", "max", "enum", "pattern", "required")


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
            member: shape_tree(model, spec["shape"], seen) for member, spec in shape["members"].items()
        }
    elif shape["type"] == "list":
        out["member"] = shape_tree(model, shape["member"]["shape"], seen)
    return out


def main():
    result = {}
    for service, (version, operations) in SERVICES.items():
        model = load(service, version)
        result[service] = {
            "apiVersion": version,
            "targetPrefix": model["metadata"]["targetPrefix"],
            "operations": {
                op: {
                    "input": shape_tree(model, model["operations"][op]["input"]["shape"], frozenset()),
                    "errors": [error["shape"] for error in model["operations"][op].get("errors", [])],
                }
                for op in operations
            },
        }
    with open(OUT, "w") as handle:
        json.dump(result, handle, indent=1, sort_keys=True)
        handle.write("\n")


if __name__ == "__main__":
    main()
