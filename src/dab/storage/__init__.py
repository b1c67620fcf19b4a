"""Storage: SQLAlchemy 2 records, async engine/session factory, repositories, bulk writers.

Imports the domain and pure core, never services, api or cli. Never commits: the entry point does.
"""
