#!/usr/bin/python3
"""docs/API.md cannot silently go stale.

  api_docs_coverage.py --header include/coffer/coffer.h --doc docs/API.md

Fails when a COFFER_API function of coffer.h is not mentioned in API.md (as
a whole word, so `coffer_repo_open` does not count for `coffer_repo`), and
when API.md names a coffer_* identifier that coffer.h does not declare (a
renamed or removed function, or a typo).
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coffer_api  # noqa: E402

# A C identifier, not a C++ or CMake name (coffer::coffer_static); a trailing
# "_" is a family written as a wildcard ("the coffer_default_* functions").
IDENTIFIER = re.compile(r"(?<![:\w])coffer_\w*[A-Za-z0-9]\b(?!\*)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--header", required=True)
    parser.add_argument("--doc", required=True)
    args = parser.parse_args()

    functions = coffer_api.declared_functions(args.header)
    with open(args.header, encoding="utf-8") as f:
        header_identifiers = set(IDENTIFIER.findall(f.read()))
    with open(args.doc, encoding="utf-8") as f:
        doc_identifiers = set(IDENTIFIER.findall(f.read()))

    problems = [f"{name} is declared in {args.header} but not described in {args.doc}"
                for name in functions if name not in doc_identifiers]
    problems += [f"{args.doc} names {name}, which {args.header} does not declare"
                 for name in sorted(doc_identifiers - header_identifiers)]
    if len(functions) < 10:
        problems.append(f"only {len(functions)} functions found in {args.header}")
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print(f"ok: {args.doc} mentions all {len(functions)} functions of {args.header}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
