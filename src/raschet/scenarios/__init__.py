"""Golden scenarios: a YAML file of facts, months to bill and expected lines.

`schema` parses and validates a file into frozen dataclasses, `load` writes them into a
fresh organization, `runner` bills the months and compares the lines, `cli` is what the
``raschet scenario run|check`` commands call. The format is documented in
``docs/scenarios.md``.
"""
