#!/usr/bin/env python3
"""Validates Portolan flow outputs against Schema/flow.v1.json (issue 13).

usage: validate_flows.py SCHEMA FILE...   (FILE ending .json, .jsonl or .csv)

json: every element of "flows"; jsonl: every line; csv: the header is the schema's properties in
order and every cell, read back as the schema says (lists split on ';', empty = null or []), is
valid for its property (evidence and icmp against their x-csv-pattern). JSON objects must have
the properties in the schema's order. With --community-id, each flow's community_id is checked
against the `communityid` package (the Community ID reference implementation).
Exit 0 when all is valid, 1 with one line per problem (at most 20), 3 when jsonschema is missing.
"""
import csv
import json
import re
import sys

try:
    import jsonschema
except ImportError:
    print("jsonschema not installed")
    sys.exit(3)

PROTOS = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "icmpv6": 58, "sctp": 132}


def main():
    args = sys.argv[1:]
    check_cid = "--community-id" in args
    args = [a for a in args if a != "--community-id"]
    schema = json.load(open(args[0], encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    props = schema["properties"]
    order = list(props)
    cid = None
    if check_cid:
        import communityid
        cid = communityid.CommunityID()
    problems = []
    counts = {"json": 0, "jsonl": 0, "csv": 0, "community_id": 0}

    def check(obj, where):
        for e in validator.iter_errors(obj):
            problems.append(f"{where}: {e.json_path}: {e.message[:200]}")
        if list(obj) != order:
            problems.append(f"{where}: properties not in schema order: {list(obj)}")
        if cid is not None and isinstance(obj, dict) and obj.get("proto") in PROTOS:
            t = communityid.FlowTuple(PROTOS[obj["proto"]], obj["client"], obj["server"],
                                      obj["client_port"], obj["server_port"])
            want = cid.calc(t)
            counts["community_id"] += 1
            if want != obj["community_id"]:
                problems.append(f"{where}: community_id {obj['community_id']} != reference {want}")

    for path in args[1:]:
        if path.endswith(".jsonl"):
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                check(json.loads(line), f"{path}:{n}")
                counts["jsonl"] += 1
        elif path.endswith(".json"):
            doc = json.load(open(path, encoding="utf-8"))
            for i, f in enumerate(doc["flows"]):
                check(f, f"{path}: flows[{i}]")
                counts["json"] += 1
        elif path.endswith(".csv"):
            rows = list(csv.reader(open(path, encoding="utf-8", newline="")))
            if rows[0] != order:
                problems.append(f"{path}: header {rows[0]} != schema order {order}")
                continue
            for n, row in enumerate(rows[1:], 2):
                counts["csv"] += 1
                for name, cell in zip(order, row):
                    p = props[name]
                    where = f"{path}:{n}: {name}"
                    if "x-csv-pattern" in p:
                        if not re.match(p["x-csv-pattern"], cell):
                            problems.append(f"{where}: {cell!r} does not match {p['x-csv-pattern']}")
                        continue
                    value = read_cell(cell, p)
                    for e in jsonschema.Draft202012Validator(p).iter_errors(value):
                        problems.append(f"{where}: {cell!r}: {e.message[:200]}")
        else:
            problems.append(f"{path}: not .json, .jsonl or .csv")
    for p in problems[:20]:
        print(p)
    print("checked: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    sys.exit(1 if problems else 0)


def types(p):
    t = p.get("type")
    if t is None and "enum" in p:
        return {type(v).__name__ for v in p["enum"]}
    return set(t if isinstance(t, list) else [t])


def scalar(cell, p):
    t = types(p)
    if cell == "" and "null" in t:
        return None
    if "integer" in t or "int" in t:
        try:
            return int(cell)
        except ValueError:
            return cell
    if "number" in t:
        try:
            return float(cell)
        except ValueError:
            return cell
    return cell


def read_cell(cell, p):
    if "array" in types(p):
        if cell == "":
            return []
        return [scalar(x, p.get("items", {})) for x in cell.split(";")]
    return scalar(cell, p)


if __name__ == "__main__":
    main()
