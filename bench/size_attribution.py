# Who needs which bytes of a wasm build of the library: each function is owned by the pure core (packets,
# session, platform codecs, checksums, JSON readers), by the async shell (client, transport, the
# platforms' async devices, wasm-bindgen, futures) or by neither (std code both use). Written for the
# async facade's package before issue 20; the npm entries now hold no async shell.
#
# Usage: python3 bench/size_attribution.py DOMINATORS.csv MODULE.wasm
#   DOMINATORS.csv: `twiggy dominators -f csv` of MODULE.wasm, which must keep its name section
#   (wasm-bindgen's output before wasm-opt; scripts/size-attribution.sh makes both).
#
# An item belongs to the first owner named on its way up the dominator tree, itself included: code
# that only core functions reach is the core's, even when the shell is what calls those functions.
# So "core" is what a package with these Rust codecs must carry whatever its shell is written in;
# LTO's inlining of core functions into shell callers can only move bytes out of it, never in.
# Each owner's function bodies are gzipped on their own (gzip -9), as the package is shipped gzipped.
import csv
import gzip
import re
import sys
from collections import Counter

SHELL = re.compile(
    r"(iotmqtt::(js|client|transport)::"
    r"|iotmqtt::json::browser::"
    r"|iotmqtt::platforms::thingsboard::(device|gateway_client|ota|provisioning)::"
    r"|iotmqtt::platforms::things_stack::(app|js_formatter)::"
    r"|iotmqtt::platforms::cloudplugs::device::"
    r"|wasm_bindgen|js_sys|web_sys|futures|gloo)"
)
CORE = re.compile(
    r"(iotmqtt::(session|json|collections|error)::"
    r"|iotmqtt::platforms::(thingsboard|things_stack|cloudplugs)::"
    r"|mqtt_protocol_core|sha2|md5|murmur3|serde_json|serde::)"
)


def kind(name):
    """The owner a function's own name gives it: the path it is defined in, generic or not."""
    path = name.lstrip("<")
    if SHELL.match(path):
        return "shell"
    if CORE.match(path):
        return "core"
    return None


def defined_in(name):
    """Where a named function is defined, as docs/size.md's breakdown of the core counts it."""
    parts = re.sub(r"\[[0-9a-f]{16}\]", "", name.lstrip("<")).split("::")
    if parts[0] != "iotmqtt":
        return parts[0]
    return "::".join(parts[: 3 if parts[1] == "platforms" else 2])


def owners(rows):
    """Each item's owner, and the named function that gave it: the first on its way up the tree."""
    by_id = {r["Id"]: r for r in rows}
    memo = {}

    def named(item):
        walked = []
        while item not in memo:
            row = by_id.get(item)
            if row is None or kind(row["Name"]) or row["ImmediateDominator"] == item:
                memo[item] = row if row is not None and kind(row["Name"]) else None
                break
            walked.append(item)
            item = row["ImmediateDominator"]
        for w in walked:
            memo[w] = memo[item]
        return memo[item]

    return {r["Name"]: named(r["Id"]) for r in rows}


def leb(b, i):
    value = shift = 0
    while True:
        byte = b[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def skip_name(b, i):
    n, i = leb(b, i)
    return i + n


def skip_limits(b, i):
    flags = b[i]
    _, i = leb(b, i + 1)
    return leb(b, i)[1] if flags & 1 else i


def read_module(wasm):
    """Function bodies by index, their names (name section) and the data segments' bytes."""
    i, imported, bodies, names, data = 8, 0, [], {}, b""
    while i < len(wasm):
        section = wasm[i]
        size, i = leb(wasm, i + 1)
        b, i = wasm[i : i + size], i + size
        if section == 2:  # imports: functions come first in the index space
            n, j = leb(b, 0)
            for _ in range(n):
                j = skip_name(b, skip_name(b, j))
                desc, j = b[j], j + 1
                if desc == 0:
                    _, j = leb(b, j)
                    imported += 1
                elif desc == 1:
                    j = skip_limits(b, j + 1)
                elif desc == 2:
                    j = skip_limits(b, j)
                else:
                    j += 2
        elif section == 10:
            n, j = leb(b, 0)
            for _ in range(n):
                size, j = leb(b, j)
                bodies.append(b[j : j + size])
                j += size
        elif section == 11:
            data = b
        elif section == 0:
            n, j = leb(b, 0)
            if b[j : j + n] == b"name":
                j += n
                while j < len(b):
                    sub = b[j]
                    size, j = leb(b, j + 1)
                    if sub == 1:
                        count, k = leb(b, j)
                        for _ in range(count):
                            index, k = leb(b, k)
                            length, k = leb(b, k)
                            names[index] = b[k : k + length].decode("utf8", "replace")
                            k += length
                    j += size
    return imported, bodies, names, data


def main(dominators, module):
    rows = list(csv.DictReader(open(dominators)))
    namer = owners(rows)
    owner_of = {n: kind(r["Name"]) if r else "shared" for n, r in namer.items()}
    imported, bodies, names, data = read_module(open(module, "rb").read())
    if not names:
        sys.exit(f"{module} has no name section: use wasm-bindgen's output before wasm-opt")
    parts, count = {}, Counter()
    for index, body in enumerate(bodies):
        who = owner_of.get(names.get(index + imported, ""), "shared")
        parts.setdefault(who, []).append(body)
        count[who] += 1
    gz = lambda b: len(gzip.compress(b, 9))
    print("| owner | functions | raw | gzipped |")
    print("| --- | ---: | ---: | ---: |")
    for who in ("core", "shell", "shared"):
        b = b"".join(parts.get(who, []))
        print(f"| {who} | {count[who]:,} | {len(b):,} | {gz(b):,} |")
    print(f"| data segments (strings, tables) | | {len(data):,} | {gz(data):,} |")
    code = b"".join(bodies)
    print(f"| all code | {len(bodies):,} | {len(code):,} | {gz(code):,} |")
    by_module = Counter()
    for r in rows:
        if owner_of[r["Name"]] == "core":
            by_module[defined_in(namer[r["Name"]]["Name"])] += int(r["ShallowSize"])
    total = sum(by_module.values())
    print("\nThe core's raw bytes by module (twiggy's shallow sizes):")
    for name, size in by_module.most_common():
        print(f"  {size:9,}  {100 * size / total:4.1f} %  {name}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python3 bench/size_attribution.py DOMINATORS.csv MODULE.wasm")
    main(sys.argv[1], sys.argv[2])
