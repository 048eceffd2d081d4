#!/usr/bin/env python3
"""Extract the Security Hub CSPM model data the simulator validates against.

Reads the PUBLISHED service model (botocore's data/securityhub/<version>/service-2.json[.gz], the
same Smithy-derived JSON the AWS SDKs are generated from) and writes securityhub-asff.json next to
this script: every shape reachable from AwsSecurityFinding, BatchImportFindingsRequest and
GetFindingsRequest (types, members, required members, enums, min/max, patterns), the errors the
two operations declare, and the limits the model states only in its documentation text
("Length Constraints: ...", "Array Members: ...", the 0-100 scores, the ProductFields pair limits,
which members are timestamps). Documentation is dropped; only constraints are kept.

The simulator (test/sim/services/security-hub.ts) reads the JSON; tests never run Python. Rerun
after a botocore upgrade and review the diff:

    python3 test/sim/models/extract-securityhub.py [path/to/service-2.json[.gz]]

The product's own rules (functions/publish) are deliberately not consulted: the simulator must be
able to catch the product getting ASFF wrong.
"""

import gzip
import json
import os
import re
import sys

ROOTS = ["AwsSecurityFinding", "BatchImportFindingsRequest", "GetFindingsRequest"]
OPERATIONS = ["BatchImportFindings", "GetFindings"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "securityhub-asff.json")

# The API reference's "Timestamps" section, which every timestamp member's documentation links to
# (https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html#timestamps): "Timestamps
# can end with Z or ("+" / "-") time-hour [":" time-minute]. The time-secfrac after seconds is
# limited to a maximum of 9 digits. The offset is bounded by +/-18:00." The pattern is the one the
# CloudFormation resource AWS::SecurityHub::AutomationRule DateFilter publishes for the same rule,
# with the 9-digit fraction bound applied.
TIMESTAMP = {
    "pattern": r"^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:([01]\d|2[0-3]):([0-5]\d):([0-5]\d)|23:59:60)(?:\.\d{1,9})?(?:Z|[+-]\d\d(?::?\d\d)?)$",
    "maxOffsetMinutes": 18 * 60,
    "source": "https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html#timestamps",
}
TIMESTAMP_LINK = "#timestamps"


def load_model(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def default_model_path():
    import botocore  # only needed when no path is given

    base = os.path.join(os.path.dirname(botocore.__file__), "data", "securityhub")
    version = sorted(os.listdir(base))[-1]
    for name in ("service-2.json", "service-2.json.gz"):
        candidate = os.path.join(base, version, name)
        if os.path.exists(candidate):
            return candidate, botocore.__version__
    raise SystemExit(f"no service-2.json under {base}/{version}")


def text(documentation):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", documentation or "")).strip()


def documented_limits(doc):
    """Limits the model gives only in a member's documentation (as plain text)."""
    limits = {}
    length = re.search(
        r"Length Constraints: Minimum (?:length )?of (\d+)(?: length)?\. Maximum (?:length )?of (\d+)", doc
    )
    if length:
        limits["min"], limits["max"] = int(length.group(1)), int(length.group(2))
    # "Length Constraints: 12." (AwsAccountId) and "Length Constraints: 128." (PortName) share one
    # wording; read as a maximum, the reading that is never stricter than the service.
    bare = re.search(r"Length Constraints: (\d+)\.", doc)
    if bare:
        limits["max"] = int(bare.group(1))
    items = re.search(r"Array Members: (?:Minimum number of (\d+) items?\. )?Maximum number of (\d+) items", doc)
    if items:
        if items.group(1) is not None:
            limits["min"] = int(items.group(1))
        limits["max"] = int(items.group(2))
    pairs = re.search(
        r"up to (\d+) key-value pairs\. For each key-value pair, the key can contain up to (\d+) characters,"
        r" and the value can contain up to (\d+) characters",
        doc,
    )
    if pairs:
        limits["max"] = int(pairs.group(1))
        limits["keyMax"] = int(pairs.group(2))
        limits["valueMax"] = int(pairs.group(3))
    if re.search(r"scored on a 0-100 basis", doc) or re.search(
        r"A score of 0 means .* a score of 100 is reserved", doc
    ) or re.search(r"can be an integer between 0 and 100", doc):
        limits["min"], limits["max"] = 0, 100
    return limits


def closure(shapes, roots):
    seen, stack = set(), list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        for key in ("member", "key", "value"):
            if key in shape:
                stack.append(shape[key]["shape"])
        for member in shape.get("members", {}).values():
            stack.append(member["shape"])
    return seen


def slim(shape):
    out = {"type": shape["type"]}
    for key in ("required", "enum", "min", "max", "pattern"):
        if key in shape:
            out[key] = shape[key]
    for key in ("member", "key", "value"):
        if key in shape:
            out[key] = shape[key]["shape"]
    if "members" in shape:
        members = {}
        for name, member in shape["members"].items():
            entry = {"shape": member["shape"]}
            documentation = member.get("documentation", "")
            entry.update(documented_limits(text(documentation)))
            # The link to the API reference's Timestamps section is in the markup, not the text.
            if TIMESTAMP_LINK in documentation:
                entry["timestamp"] = True
            members[name] = entry
        out["members"] = members
    return out


def require(doc, sentence, where):
    if sentence not in doc:
        raise SystemExit(f"the model no longer says {sentence!r} in {where}: review the GetFindings rules")


def get_findings_rules(shapes):
    """The GetFindings filter rules, each backed by a sentence of the model's documentation."""
    filters_doc = text(shapes["GetFindingsRequest"]["members"]["Filters"]["documentation"])
    string_doc = text(shapes["StringFilter"]["members"]["Comparison"]["documentation"])
    map_doc = text(shapes["MapFilter"]["members"]["Comparison"]["documentation"])
    attributes = re.search(r"filter by up to (\d+) finding attributes", filters_doc)
    values = re.search(r"up to (\d+) filter values", filters_doc)
    if not attributes or not values:
        raise SystemExit("GetFindingsRequest.Filters no longer states its attribute/value limits")
    require(string_doc, "The CONTAINS_WORD operator works only in the GetFindingsV2", "StringFilter.Comparison")
    require(string_doc, "you can't provide both an EQUALS filter and a NOT_EQUALS or PREFIX_NOT_EQUALS filter on the same field", "StringFilter.Comparison")
    require(string_doc, "CONTAINS filters can only be used with other CONTAINS filters", "StringFilter.Comparison")
    require(map_doc, "CONTAINS and NOT_CONTAINS operators can be used only with automation rules", "MapFilter.Comparison")
    require(map_doc, "you can’t have both an EQUALS filter and a NOT_EQUALS filter on the same field", "MapFilter.Comparison")
    string_enum = shapes["StringFilterComparison"]["enum"]
    map_enum = shapes["MapFilterComparison"]["enum"]
    return {
        "maxFilterAttributes": int(attributes.group(1)),
        "maxFilterValues": int(values.group(1)),
        "stringComparisons": [c for c in string_enum if c != "CONTAINS_WORD"],
        "mapComparisons": [c for c in map_enum if c not in ("CONTAINS", "NOT_CONTAINS")],
        # Positive comparisons on one field are ORed, negative ones ANDed.
        "positiveComparisons": ["EQUALS", "PREFIX", "CONTAINS"],
        # Comparisons that may not be combined on one field.
        "exclusive": [["EQUALS", "NOT_EQUALS"], ["EQUALS", "PREFIX_NOT_EQUALS"]],
        # Comparisons that may only be combined with themselves on one field.
        "alone": ["CONTAINS", "NOT_CONTAINS"],
    }


def finding_rules(shapes):
    """Rules of AwsSecurityFinding stated in its documentation rather than in traits."""
    members = shapes["AwsSecurityFinding"]["members"]
    schema_doc = text(members["SchemaVersion"]["documentation"])
    version = re.search(r"The value is (\d{4}-\d{2}-\d{2})", schema_doc)
    if not version:
        raise SystemExit("AwsSecurityFinding.SchemaVersion no longer names its value")
    provider_doc = text(shapes["FindingProviderFields"]["documentation"])
    require(provider_doc, "Security Hub CSPM populates the FindingProviderFields object automatically, if it is empty, based on the corresponding top-level fields", "FindingProviderFields")
    return {
        "schemaVersion": version.group(1),
        # Required by the user guide's "Required top-level ASFF attributes"; either the top-level
        # attribute or its FindingProviderFields analogue carries it (each fills the other).
        "requiredEither": {
            "Severity": [["Severity", "Label"], ["Severity", "Normalized"], ["FindingProviderFields", "Severity", "Label"]],
            "Types": [["Types"], ["FindingProviderFields", "Types"]],
        },
        # "One or more finding types".
        "minTypes": 1,
    }


def main():
    if len(sys.argv) > 1:
        path, version = sys.argv[1], "unknown"
    else:
        path, version = default_model_path()
    model = load_model(path)
    shapes = model["shapes"]
    names = closure(shapes, ROOTS)
    errors = {}
    operations = {}
    for op in OPERATIONS:
        spec = model["operations"][op]
        codes = [error["shape"] for error in spec.get("errors", [])]
        operations[op] = {
            "method": spec["http"]["method"],
            "path": spec["http"]["requestUri"],
            "input": spec["input"]["shape"],
            "errors": codes,
        }
        for code in codes:
            errors[code] = {"status": shapes[code]["error"]["httpStatusCode"]}
    data = {
        "$comment": "Generated by test/sim/models/extract-securityhub.py from the published Security Hub model. Do not edit; rerun the script.",
        "source": {
            "model": "botocore data/securityhub/" + model["metadata"]["apiVersion"] + "/service-2.json",
            "botocore": version,
            "apiVersion": model["metadata"]["apiVersion"],
        },
        "operations": operations,
        "errors": errors,
        "timestamp": TIMESTAMP,
        "finding": finding_rules(shapes),
        "getFindings": get_findings_rules(shapes),
        "shapes": {name: slim(shapes[name]) for name in sorted(names)},
    }
    # One shape per line: small, and a model upgrade reads as a line diff.
    shapes_out = data.pop("shapes")
    head = json.dumps(data, indent=2, ensure_ascii=False)
    lines = [f"  {json.dumps(name)}: {json.dumps(shape, ensure_ascii=False)}" for name, shape in shapes_out.items()]
    with open(OUT, "w", encoding="utf-8") as handle:
        handle.write(head[:-2] + ',\n  "shapes": {\n' + ",\n".join("  " + line for line in lines) + "\n  }\n}\n")
    print(f"wrote {OUT}: {len(names)} shapes")


if __name__ == "__main__":
    main()
