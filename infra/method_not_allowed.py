"""Give every route of the packaged API an `x-amazon-apigateway-any-method` that reaches the API's function.

API Gateway answers a method a resource lacks as it answers an unknown path (MISSING_AUTHENTICATION_TOKEN, which
infra/template.json turns into our 404). With an ANY method beside the declared ones (API Gateway prefers the
declared method), any other method reaches Chalice, which answers 405 `method_not_allowed` with `Allow` listing the
route's methods, as `make run` does. Derived from the routes Chalice wrote, so it cannot drift from them:

    python infra/method_not_allowed.py build/package/sam.json    (run by `make package`)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def add_any_methods(template: dict[str, Any]) -> dict[str, Any]:
    """The SAM template with an ANY method on every path of the REST API, sharing its routes' integration."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for item in paths.values():
        proxied = [
            item[method]
            for method in HTTP_METHODS
            if method in item and item[method].get(INTEGRATION, {}).get("type") == "aws_proxy"
        ]
        if proxied and ANY_METHOD not in item:
            item[ANY_METHOD] = {
                "produces": ["application/json"],
                "responses": {"405": {"description": "the route does not take this method (see Allow)"}},
                **({"parameters": proxied[0]["parameters"]} if "parameters" in proxied[0] else {}),
                INTEGRATION: proxied[0][INTEGRATION],
            }
    return template


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    sam = Path(argv[0])
    sam.write_text(json.dumps(add_any_methods(json.loads(sam.read_text())), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
