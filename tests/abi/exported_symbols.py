#!/usr/bin/python3
"""libcoffer.so exports exactly the C API declared in coffer.h.

  exported_symbols.py --library build/libcoffer.so --header include/coffer/coffer.h
                      --soname libcoffer.so.0 [--nm nm] [--readelf readelf]

Fails when the library exports any symbol that is not a COFFER_API function
of the header (a leaked C++ template instance, an Abseil symbol, an internal
helper), when a declared function is missing or not a function, or when the
SONAME is not the expected one. Prints every offending symbol.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coffer_api  # noqa: E402


def dynamic_symbols(nm, library):
    """{name: nm type letter} of the defined dynamic symbols."""
    out = subprocess.run([nm, "-D", "--defined-only", library], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) != 3:
            raise SystemExit(f"unexpected nm output line: {line!r}")
        _, kind, name = fields
        symbols[name.split("@")[0]] = kind  # drop a symbol version, if any
    return symbols


def soname(readelf, library):
    out = subprocess.run([readelf, "-d", library], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    for line in out.splitlines():
        if "(SONAME)" in line:
            return line.split("[", 1)[1].rstrip("]").strip()
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", required=True)
    parser.add_argument("--header", required=True)
    parser.add_argument("--soname", required=True)
    parser.add_argument("--nm", default="nm")
    parser.add_argument("--readelf", default="readelf")
    args = parser.parse_args()

    declared = set(coffer_api.declared_functions(args.header))
    exported = dynamic_symbols(args.nm, args.library)
    problems = []
    if len(declared) < 10:
        problems.append(f"only {len(declared)} COFFER_API functions found in {args.header}: "
                        "is the header parsed correctly?")
    for name in sorted(set(exported) - declared):
        problems.append(f"exported but not a COFFER_API function of coffer.h: {name} "
                        f"(type {exported[name]})")
    for name in sorted(declared - set(exported)):
        problems.append(f"declared in coffer.h but not exported: {name}")
    for name in sorted(declared & set(exported)):
        if exported[name] != "T":
            problems.append(f"{name} is exported as nm type {exported[name]}, not a function (T)")
    actual_soname = soname(args.readelf, args.library)
    if actual_soname != args.soname:
        problems.append(f"SONAME is {actual_soname!r}, expected {args.soname!r}")

    for p in problems:
        print("FAIL: " + p)
    if problems:
        print(f"{len(problems)} problem(s) in {args.library}")
        return 1
    print(f"ok: {args.library} (SONAME {actual_soname}) exports exactly the "
          f"{len(declared)} functions of coffer.h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
