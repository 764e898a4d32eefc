#!/usr/bin/env python3
"""Derives shared/rules/data/okta-event-types.json from Okta's event-type catalog.

The rules crate embeds the result, so a clone builds and checks rules without the
reference data beside it. Run again when the reference catalog is updated:

    python3 scripts/derive-event-types.py [REFERENCE_DIR]

REFERENCE_DIR defaults to $OKTA_REFERENCE_DIR, else ../shared/okta beside the checkout.
A test of the rules crate fails while the data file and the catalog disagree.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "shared" / "rules" / "data" / "okta-event-types.json"
# As given in the reference directory's README.md.
SOURCE = {
    "file": "packages/@okta/vuepress-site/data/event-types.json",
    "repository": "okta/okta-developer-docs",
    "commit": "468de9c511b5e4009bb5f06c25cbf4b85fecb8d0",
    "license": "Apache-2.0",
}
ELIGIBLE_TAG = "event-hook-eligible"


def derive(catalog: dict) -> dict:
    types = []
    for version in catalog["versions"]:
        for entry in version["eventTypes"]:
            types.append({"id": entry["id"], "hook_eligible": ELIGIBLE_TAG in entry["tags"]})
    types.sort(key=lambda t: t["id"])
    return {
        "source": dict(SOURCE, release=catalog["release"]),
        "derived_by": "scripts/derive-event-types.py",
        "count": len(types),
        "hook_eligible_count": sum(t["hook_eligible"] for t in types),
        "event_types": types,
    }


def main() -> None:
    default = os.environ.get("OKTA_REFERENCE_DIR", str(ROOT.parent / "shared" / "okta"))
    reference = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    catalog = json.loads((reference / "event-types-catalog.json").read_text())
    data = derive(catalog)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # One type per line: reviewable diffs when Okta adds types.
    lines = [json.dumps(t, separators=(", ", ": ")) for t in data.pop("event_types")]
    head = json.dumps(data, indent=2)[:-2]
    body = ",\n".join("    " + line for line in lines)
    OUT.write_text(f'{head},\n  "event_types": [\n{body}\n  ]\n}}\n')
    print(f"{OUT.relative_to(ROOT)}: {data['count']} types, {data['hook_eligible_count']} hook-eligible")


if __name__ == "__main__":
    main()
