"""Validates an OpenLineage run event against the spec's JSON Schemas, offline.

    python validate_openlineage.py SCHEMA_DIR EVENT.json

The event is checked as a RunEvent, and every facet against the schema its `_schemaURL`
names; a facet whose schema is not in SCHEMA_DIR is an error, so nothing goes unchecked.
Prints "ok", or the errors and exits 1. Needs `jsonschema` (4.18 or later).
"""

import json
import pathlib
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource


def main() -> int:
    schema_dir, event_path = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    resources = []
    for path in sorted(schema_dir.glob("*.json")):
        doc = json.loads(path.read_text())
        resources.append((doc["$id"], Resource.from_contents(doc)))
    registry = Registry().with_resources(resources)
    event = json.loads(event_path.read_text())
    errors = []

    def check(instance, ref, where):
        validator = Draft202012Validator(
            {"$ref": ref}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for e in validator.iter_errors(instance):
            errors.append(f"{where}{'/' + '/'.join(map(str, e.absolute_path)) if e.absolute_path else ''}: {e.message}")

    check(event, event["schemaURL"], "event")
    for side in ("inputs", "outputs"):
        for i, dataset in enumerate(event.get(side, [])):
            for name, facet in dataset.get("facets", {}).items():
                url = facet.get("_schemaURL", "")
                base = url.split("#")[0]
                if not any(uri == base for uri, _ in resources):
                    errors.append(f"{side}/{i}/facets/{name}: no schema for {url}")
                    continue
                check(facet, url, f"{side}/{i}/facets/{name}")
    if errors:
        print("\n".join(errors))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
