"""The functions coffer.h declares with COFFER_API, read from the header text.

Shared by the ABI tests (exported_symbols.py) and the documentation test
(api_docs_coverage.py), so both judge against the same list.
"""
import re

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
# COFFER_API <return type> <name>(   -- the name is the identifier before "(".
_DECLARATION = re.compile(r"\bCOFFER_API\b([^;{}()]*?)\b(coffer_\w+)\s*\(")


def declared_functions(header_path):
    """Names of every COFFER_API function in the header, experimental ones
    included (they are exported too), in declaration order."""
    with open(header_path, encoding="utf-8") as f:
        text = _COMMENT.sub(" ", f.read())
    # The macro's own definition lines are not declarations.
    text = re.sub(r"#\s*define\s+COFFER_API[^\n]*", " ", text)
    names = [m.group(2) for m in _DECLARATION.finditer(text)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{header_path}: declared more than once: {duplicates}")
    return names
