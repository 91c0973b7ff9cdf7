#!/usr/bin/env python3
"""Checks the crate's public API from rustdoc's JSON output (see scripts/check-public-api.sh).

- Counts the public items (modules, types, traits, functions and methods, fields, variants,
  constants), and lists every public path.
- Fails when a type from a crate outside the allowed list appears anywhere in the public API
  (signatures, fields, variants, trait impls): foreign types are semver surface we do not
  control. The allowed crates are deliberate: std, the Tauri crates (this is a Tauri plugin),
  serde/serde_json (claims are JSON), url (URLs in configuration), zeroize (secret types wipe
  themselves) and log/thiserror internals that only show up as std traits.

Usage: check-public-api.py <rustdoc json> [--list]
"""
import json
import sys

ALLOWED_CRATES = {
    "std", "core", "alloc",
    "tauri", "tauri_runtime", "tauri_utils", "tauri_macros",
    "serde", "serde_core", "serde_json",
    "url",
    "zeroize",
}
COUNTED = {"module", "struct", "enum", "trait", "function", "constant", "type_alias",
           "struct_field", "variant", "static", "macro", "assoc_const", "assoc_type"}


def main():
    path = sys.argv[1]
    doc = json.load(open(path))
    index, paths, crates = doc["index"], doc["paths"], doc["external_crates"]

    def kind(item):
        inner = item["inner"]
        return next(iter(inner)) if isinstance(inner, dict) else inner

    def crate_of(id_):
        p = paths.get(str(id_))
        if p is None:
            return None
        if p["crate_id"] == 0:
            return "self"
        return crates[str(p["crate_id"])]["name"]

    def refs(node, out):
        """Every resolved path id in a JSON subtree."""
        if isinstance(node, dict):
            rp = node.get("resolved_path")
            if isinstance(rp, dict) and "id" in rp:
                out.append((rp["id"], rp.get("path")))
            for v in node.values():
                refs(v, out)
        elif isinstance(node, list):
            for v in node:
                refs(v, out)

    local = {k: v for k, v in index.items() if v["crate_id"] == 0}
    counts = {}
    offenders = {}
    for id_, item in local.items():
        k = kind(item)
        if k in COUNTED:
            counts[k] = counts.get(k, 0) + 1
        if k == "impl":
            imp = item["inner"]["impl"]
            if imp.get("is_synthetic") or imp.get("blanket_impl") is not None:
                continue
            node = {"for": imp.get("for"), "trait": imp.get("trait"), "generics": imp.get("generics")}
        elif k in ("use", "module"):
            continue
        else:
            node = item["inner"]
        found = []
        refs(node, found)
        for rid, shown in found:
            c = crate_of(rid)
            if c is None or c == "self" or c in ALLOWED_CRATES:
                continue
            where = item.get("name") or f"impl at {item['span']['filename']}:{item['span']['begin'][0]}" if item.get("span") else id_
            offenders.setdefault(f"{c}::{shown}", set()).add(str(where))

    total = sum(counts.values())
    print(f"public items: {total} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    # What a user can name: the crate root's items and re-exports, and what public modules
    # under it hold.
    names = []

    def walk(module_id, prefix):
        for child in index[str(module_id)]["inner"]["module"]["items"]:
            item = index.get(str(child))
            if item is None:
                continue
            k = kind(item)
            if k == "use":
                use = item["inner"]["use"]
                names.append(f"{prefix}{use['name']}")
                target = index.get(str(use.get("id")))
                if target is not None and kind(target) == "module":
                    walk(use["id"], f"{prefix}{use['name']}::")
            elif k == "module":
                names.append(f"{prefix}{item['name']}")
                walk(child, f"{prefix}{item['name']}::")
            elif k != "impl":
                names.append(f"{prefix}{item['name']}")

    walk(doc["root"], "")
    print(f"public names: {len(names)}")
    if "--list" in sys.argv:
        for n in sorted(names):
            print(f"  {n}")
    if offenders:
        print("foreign types in the public API (re-export them deliberately or wrap them):")
        for ty, where in sorted(offenders.items()):
            print(f"  {ty}  (in {', '.join(sorted(where))})")
        sys.exit(1)
    print("no foreign types outside the allowed crates: " + ", ".join(sorted(ALLOWED_CRATES)))


if __name__ == "__main__":
    main()
