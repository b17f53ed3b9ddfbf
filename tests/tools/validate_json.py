#!/usr/bin/python3
"""Validates JSON documents against one definition of schema/migsim.schema.json.

usage: validate_json.py SCHEMA DEFINITION FILE...   (FILE '-' is standard input)
DEFINITION is one of the schema's $defs (estimate, estimate_set, comparison, lint,
simulation, traffic, timeline) or 'any'. Prints every violation with its path
and exits 1 when there is one, 2 on bad usage or unreadable input.
"""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema_path, definition, files = argv[1], argv[2], argv[3:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    if definition != "any":
        if definition not in schema["$defs"]:
            print(f"{schema_path}: no definition '{definition}'", file=sys.stderr)
            return 2
        schema = {"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]}
    validator = jsonschema.Draft202012Validator(schema)
    failed = False
    for path in files:
        try:
            text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
            document = json.loads(text)
        except (OSError, ValueError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 2
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in error.absolute_path) or "(document)"
            print(f"{path}: {where}: {error.message}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
