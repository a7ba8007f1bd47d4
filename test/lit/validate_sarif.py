"""Validates a SARIF log against the SARIF 2.1.0 JSON schema; prints 'valid SARIF' or the errors.

usage: validate_sarif.py SCHEMA LOG
Uses python3-jsonschema (Debian); falls back to Debian's dist-packages when the python running
the tests is another one.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import jsonschema

with open(sys.argv[1]) as f:
    schema = json.load(f)
with open(sys.argv[2]) as f:
    log = json.load(f)
validator = jsonschema.Draft4Validator(schema)
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
for e in errors:
    print("invalid SARIF at /%s: %s" % ("/".join(str(p) for p in e.path), e.message))
if errors:
    sys.exit(1)
print("valid SARIF")
