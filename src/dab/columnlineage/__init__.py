"""Column-level lineage (pure core): compiled SQL and a schema in, DERIVED_FROM edges with their kind out."""
