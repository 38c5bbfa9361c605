#!/usr/bin/env python3
"""Where an npm entry's wasm goes, by part: the client core, the platform's rules, the JSON layer,
the facade (batch records and commands, wasm-bindgen glue), strings, and the std/core/alloc code
instantiated for them. Reads `twiggy top -f csv` of a wasm-bindgen output built with names kept
(scripts/size-parts.sh), before wasm-opt: raw bytes per part, and each part's share scaled to the
shipped gzipped wasm (an estimate: gzip does not compress every part alike)."""
import csv
import re
import sys

PARTS = [
    ("platform rules", r"iotmqtt::platforms::|md5|murmur3|crc32"),
    ("JSON", r"iotmqtt::json|serde_json|indexmap|hashbrown|zmij|itoa|<f64 as"),
    ("client core", r"iotmqtt::(session|supervisor|collections|error|shared)|iotmqtt::ClientError"),
    ("facade", r"iotmqtt::(batch|js)|wasm_bindgen|js_sys|__wbg|__wbindgen|_run|multivalue shim|^\w+core_\w+"),
    ("strings", r"^data segment|rodata"),
]


def part(name):
    for label, pattern in PARTS:
        if re.search(pattern, name):
            return label
    return "std, core, alloc, allocator"


def main(path, shipped_gz):
    totals = {}
    for row in csv.DictReader(open(path)):
        name = row["Name"]
        if "custom section" in name or "function names" in name or name.startswith("\"") and "subsection" in name:
            continue
        totals[part(name)] = totals.get(part(name), 0) + int(row["ShallowSize"])
    raw = sum(totals.values())
    order = [p for p, _ in PARTS] + ["std, core, alloc, allocator"]
    for label in order:
        n = totals.get(label, 0)
        print(f"{label}\t{n}\t{round(shipped_gz * n / raw)}")
    print(f"total\t{raw}\t{shipped_gz}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
