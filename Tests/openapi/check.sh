#!/usr/bin/env bash
# Validates the hand-written OpenAPI 3.1 document against the specification's schema (openapi-spec-validator), and
# checks that it is formatted as committed: 2-space indentation, as `python3 -m json.tool --indent 2` writes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
document=Sources/WatershedServer/OpenAPI/openapi.json
python3 -c 'import openapi_spec_validator' 2>/dev/null || python3 -m pip install -q openapi-spec-validator
python3 -m openapi_spec_validator "$document"
python3 - "$document" <<'PY'
import json, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
formatted = json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
if text != formatted:
    sys.exit(f"{path} is not formatted with 2-space indentation (python3 -m json.tool --indent 2 --no-ensure-ascii)")
print(f"{path}: formatted")
PY
