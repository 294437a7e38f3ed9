"""The local stack: an embedded moto server, the resources from infra/, chalice local and a queue worker."""
