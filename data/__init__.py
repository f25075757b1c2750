"""Data layer: input format, readers/writers, validation, the store and the sample company.

Public entry points::

    from data import load_company, write_workbook, Issue, Store, make_engine, sample_company
"""

from data.readers import load_company, write_workbook
from data.schema import Issue

__all__ = [
    "Issue",
    "load_company",
    "write_workbook",
    "Store",
    "ConflictError",
    "make_engine",
    "sample_company",
    "sample_past_cycles",
]


def __getattr__(name: str):  # lazy: the store pulls in SQLAlchemy, the sample numpy work
    if name in ("Store", "ConflictError", "make_engine"):
        from data import store

        return getattr(store, name)
    if name in ("sample_company", "sample_past_cycles"):
        from data import sample

        return getattr(sample, name)
    raise AttributeError(name)
