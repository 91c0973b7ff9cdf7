"""Parses Swift sources with tree-sitter's Swift grammar and fails on any syntax error.

No Swift compiler runs on Linux here, so this is the check that the iOS sources are at least
well-formed Swift: every file is parsed, and each ERROR node (text the grammar could not place)
and MISSING node (a token the parser had to invent, such as a closing brace) is reported with its
line and column. It checks syntax only: names, types and Apple APIs are not resolved.

Usage: parse-swift.py FILE...   (exit status 1 when any file has a syntax error)
"""

import sys

import tree_sitter_swift
from tree_sitter import Language, Parser


def problems(tree):
    """(line, column, what) for every ERROR and MISSING node, in source order."""
    found = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            found.append((node.start_point, f"missing `{node.type}`"))
        elif node.is_error:
            found.append((node.start_point, "syntax error"))
        # Only subtrees that contain an error are worth walking.
        stack.extend(c for c in reversed(node.children) if c.has_error or c.is_missing)
    return sorted(found)


def main(paths):
    if not paths:
        print("parse-swift: no files given", file=sys.stderr)
        return 2
    parser = Parser(Language(tree_sitter_swift.language()))
    bad = 0
    for path in paths:
        with open(path, "rb") as f:
            tree = parser.parse(f.read())
        found = problems(tree)
        if not found and tree.root_node.has_error:
            found = [((0, 0), "syntax error (not located)")]
        for (row, col), what in found:
            print(f"{path}:{row + 1}:{col + 1}: {what}", file=sys.stderr)
        bad += bool(found)
    print(f"parse-swift: {len(paths) - bad} of {len(paths)} Swift files parse")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
