#!/usr/bin/env bash
# scripts/check-imports.sh — check that Package.swift declares every module each target imports.
#
# Why: SwiftPM builds a target even when it imports a module it reaches only transitively (a
# dependency of a dependency), because the module happens to be built and on the search path
# already. Such a build breaks as soon as the intermediate dependency goes away, builds in a
# different order, or the target is used on its own, and the layer comment at the top of
# Package.swift stops describing what the code really uses. This check keeps the manifest honest
# without building anything, so it runs in about a second, before the build in scripts/test.sh.
#
# What it does: reads the manifest with `swift package dump-package`, finds each target's Swift
# files (its `path`, or Sources/<name>, Tests/<name>, Plugins/<name> by default, minus its
# `exclude`), and collects the modules they import: `import X`, `import X.Sub`, `@testable import
# X`, `public import X` (any access level), `@_implementationOnly import X`, `@preconcurrency
# import X`, `import struct X.Y` (and the other kinds). Comments and string literals are skipped.
# Every imported module must be either
#   - a dependency the target declares itself, by target name or by product name (a product is
#     mapped to its modules: PRODUCT_MODULES below; an unknown product to a module of its name),
#     so a module reachable only through another dependency counts as missing; or
#   - a module of the toolchain or the system (SYSTEM_MODULES below, an explicit allow-list:
#     Swift, Foundation, Glibc, Testing, Darwin, ...). `#if` blocks are not evaluated, so
#     Darwin-only imports guarded by `#if canImport(Darwin)` are fine because those modules are
#     in the list.
# Declared dependencies that no file of the target imports are reported as notes, not failures:
# a test may depend on an executable only so that it is built, or on a library only to link it.
#
# Usage: scripts/check-imports.sh
# Exit 0 with "imports: N targets checked, all imports declared"; exit 1 listing each
# target → missing module (and where it is first imported).
# To allow another system module, add it to SYSTEM_MODULES; to use another package's product
# whose modules differ from its name, add it to PRODUCT_MODULES.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MANIFEST_JSON="$(mktemp)"
trap 'rm -f "$MANIFEST_JSON"' EXIT

if ! swift package dump-package >"$MANIFEST_JSON"; then
    echo "imports: swift package dump-package failed (is Package.swift valid?)" >&2
    exit 1
fi

python3 - "$MANIFEST_JSON" <<'PY'
import json
import os
import re
import sys

# Modules of the Swift toolchain, its core libraries and the operating systems (Linux and
# Darwin): importing these needs no declaration in Package.swift.
SYSTEM_MODULES = {
    # Swift standard library and toolchain modules
    "Swift", "SwiftShims", "_Concurrency", "_StringProcessing", "RegexBuilder", "Synchronization",
    "Observation", "Distributed", "_Differentiation", "_Backtracing", "Cxx", "CxxStdlib",
    "_SwiftConcurrencyShims",
    # swift-corelibs and swift-foundation
    "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking",
    "FoundationXML", "CoreFoundation", "Dispatch",
    # C libraries of the platforms
    "Glibc", "Musl", "Bionic", "Android", "WASILibc", "ucrt", "WinSDK", "CRT",
    # Darwin
    "Darwin", "os", "ObjectiveC", "System", "Security", "Network",
    # testing
    "Testing", "XCTest",
    # package manifests and plugins
    "PackageDescription", "PackagePlugin",
}

# Products of package dependencies whose modules are not named like the product.
PRODUCT_MODULES = {
    "ArgumentParser": ["ArgumentParser"],   # swift-argument-parser
    "Logging": ["Logging"],                 # swift-log
}

DEFAULT_ROOTS = {
    "test": ["Tests"],
    "plugin": ["Plugins"],
}
SOURCE_ROOTS = ["Sources", "Source", "src", "srcs"]


def strip_comments_and_strings(src):
    """Return src with comments and string literals blanked out (newlines kept, so offsets and
    line numbers stay valid). Handles nested block comments, multi-line and raw strings, and
    string interpolation containing strings."""
    out = list(src)
    n = len(src)

    def blank(a, b):
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    def string_end(i, hashes, multiline):
        # i is just past the opening delimiter; returns the index just past the closing one.
        close = ('"""' if multiline else '"') + "#" * hashes
        escape = "\\" + "#" * hashes
        while i < n:
            if src.startswith(escape, i):
                k = i + len(escape)
                if k < n and src[k] == "(":
                    i = code_end(k + 1, True)
                else:
                    i = k + 1
            elif src.startswith(close, i):
                return i + len(close)
            elif src[i] == "\n" and not multiline:
                return i   # unterminated: the compiler will say so
            else:
                i += 1
        return n

    def code_end(i, in_interpolation):
        depth = 0
        while i < n:
            c = src[i]
            if src.startswith("//", i):
                j = src.find("\n", i)
                j = n if j < 0 else j
                blank(i, j)
                i = j
            elif src.startswith("/*", i):
                j, nest = i + 2, 1
                while j < n and nest:
                    if src.startswith("/*", j):
                        nest, j = nest + 1, j + 2
                    elif src.startswith("*/", j):
                        nest, j = nest - 1, j + 2
                    else:
                        j += 1
                blank(i, j)
                i = j
            elif c == '"' or c == "#":
                j = i
                while j < n and src[j] == "#":
                    j += 1
                if j < n and src[j] == '"':
                    hashes = j - i
                    multiline = src.startswith('"""', j)
                    end = string_end(j + (3 if multiline else 1), hashes, multiline)
                    blank(i, end)
                    i = end
                else:
                    i = max(j, i + 1)
            elif in_interpolation and c == "(":
                depth += 1
                i += 1
            elif in_interpolation and c == ")":
                if depth == 0:
                    return i + 1
                depth -= 1
                i += 1
            else:
                i += 1
        return n

    code_end(0, False)
    return "".join(out)


# An import declaration: at the start of a line or after `;`, optional attributes
# (@testable, @_implementationOnly, @preconcurrency, @_spi(X), ...) and an access level, then
# `import`, an optional kind (`import struct X.Y`), and the module (first component of a path).
IMPORT_RE = re.compile(
    r"(?:^|;)[ \t]*"
    r"(?:(?:@[A-Za-z_]\w*(?:\([^)\n]*\))?|public|package|internal|fileprivate|private|open)\s+)*"
    r"import[ \t]+"
    r"(?:(?:typealias|struct|class|enum|protocol|let|var|func)[ \t]+)?"
    r"([A-Za-z_]\w*)",
    re.MULTILINE,
)


def imports_of(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = strip_comments_and_strings(f.read())
    for m in IMPORT_RE.finditer(text):
        yield m.group(1), text.count("\n", 0, m.start(1)) + 1


def target_dir(target):
    if target.get("path"):
        return target["path"]
    roots = DEFAULT_ROOTS.get(target["type"], SOURCE_ROOTS)
    for root in roots:
        candidate = os.path.join(root, target["name"])
        if os.path.isdir(candidate):
            return candidate
    return os.path.join(roots[0], target["name"])


def swift_files(target):
    base = target_dir(target)
    if not os.path.isdir(base):
        return None
    excluded = [os.path.normpath(os.path.join(base, e)) for e in target.get("exclude") or []]
    roots = [os.path.join(base, s) for s in target["sources"]] if target.get("sources") else [base]

    def is_excluded(p):
        p = os.path.normpath(p)
        return any(p == e or p.startswith(e + os.sep) for e in excluded)

    found = []
    for root in roots:
        if os.path.isfile(root):
            if root.endswith(".swift") and not is_excluded(root):
                found.append(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not is_excluded(os.path.join(dirpath, d)))
            for name in sorted(filenames):
                p = os.path.join(dirpath, name)
                if name.endswith(".swift") and not is_excluded(p):
                    found.append(p)
    return found


with open(sys.argv[1]) as f:
    manifest = json.load(f)

targets = {t["name"]: t for t in manifest["targets"]}
local_products = {p["name"]: p.get("targets", []) for p in manifest.get("products", [])}


def declared_modules(target):
    """Each module the target may import directly → the dependency (as written) providing it."""
    modules = {}
    for dep in target.get("dependencies", []):
        if "target" in dep:
            name = dep["target"][0]
            modules.setdefault(name, name)
        elif "product" in dep:
            name = dep["product"][0]
            for module in PRODUCT_MODULES.get(name, [name]):
                modules.setdefault(module, name)
        elif "byName" in dep:
            name = dep["byName"][0]
            if name in targets:
                modules.setdefault(name, name)
            elif name in local_products:
                for module in local_products[name]:
                    modules.setdefault(module, name)
            else:
                for module in PRODUCT_MODULES.get(name, [name]):
                    modules.setdefault(module, name)
    return modules


checked = 0
missing = []     # (target, module, file, line)
unused = []      # (target, dependency)
problems = []
for target in manifest["targets"]:
    if target["type"] in ("system", "binary"):
        continue
    files = swift_files(target)
    if files is None:
        problems.append(f"{target['name']}: no source folder {target_dir(target)}")
        continue
    if not files:
        continue   # a C target
    checked += 1
    declared = declared_modules(target)
    first_use = {}
    for path in files:
        for module, line in imports_of(path):
            first_use.setdefault(module, (path, line))
    for module, (path, line) in sorted(first_use.items()):
        if module in declared or module in SYSTEM_MODULES or module == target["name"]:
            continue
        missing.append((target["name"], module, path, line))
    used_deps = {declared[m] for m in first_use if m in declared}
    for dep in sorted(set(declared.values()) - used_deps):
        unused.append((target["name"], dep))

for target, dep in unused:
    kind = targets[dep]["type"] if dep in targets else "product"
    why = "needs it built" if kind == "executable" else "needs it only to link"
    print(f"imports: note: {target} declares {dep} ({kind}) but imports it nowhere (fine if it {why})")

if problems or missing:
    for problem in problems:
        print(f"imports: {problem}", file=sys.stderr)
    if missing:
        print("imports: modules imported but not declared as dependencies in Package.swift "
              "(target → module, first import):", file=sys.stderr)
        width = max(len(f"{t} → {m}") for t, m, _, _ in missing)
        for t, m, path, line in missing:
            print(f"  {f'{t} → {m}':<{width}}  {path}:{line}", file=sys.stderr)
        print("imports: add each module to its target's dependencies (a system module to "
              "SYSTEM_MODULES in scripts/check-imports.sh)", file=sys.stderr)
    sys.exit(1)

print(f"imports: {checked} targets checked, all imports declared")
PY
