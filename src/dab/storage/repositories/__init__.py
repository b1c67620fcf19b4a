"""Read queries over the stored graph, one repository per noun.

Repositories take an AsyncSession, never commit, and return plain dicts/tuples built from
column selections (no ORM object per row on the read paths).
"""
