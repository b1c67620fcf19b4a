"""dab, the Data Architecture Brain: dbt metadata as a queryable property graph."""

__version__ = "0.1.0"
