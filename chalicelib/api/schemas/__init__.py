"""Contract types of the newer routes, one module a subject (shares, keys, uploads in parts…), beside
api/contract.py's. Every msgspec Struct in these modules is named in the OpenAPI document's schemas (api/openapi.py
collects them), so a route names its body, query and answers by the type's name as for api/contract.py's."""
