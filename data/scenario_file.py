"""A scenario given as a workbook or CSV folder in the input format (`python -m planning compute/compare
--scenario PATH`): every table optional; `adjustments` are applied after the input's own, `capacity` rows
replace the input's rows of the same family and period, `settings` as in the input's settings sheet.

Each table is validated by the input's rules against the input's other tables (so an adjustment of an
unknown family, a bad month or a bad setting is reported at its sheet, row and column)."""

from __future__ import annotations

from pathlib import Path

from data.readers import read_source
from data.schema import Issue
from data.schema import TABLE_ORDER, TABLES
from data.validate import Collector, _assemble, _check_references, _settings, check_cells, check_duplicates, prepare
from planning.model import CompanyData
from planning.scenarios import Scenario

SCENARIO_TABLES = ("adjustments", "capacity", "settings")


def load_scenario(source: Path, input_source: Path, data: CompanyData, *, horizon: int) -> tuple[Scenario | None,
                                                                                                    list[Issue]]:
    """The scenario at `source` over the company read from `input_source` (already loaded as `data`)."""
    theirs, issues = read_source(source)
    if any(i.is_error for i in issues):
        return None, issues
    unknown = sorted(set(theirs) - set(SCENARIO_TABLES))
    issues += [Issue(name, None, None, "a scenario holds only adjustments, capacity and settings; this table "
                                       "is ignored.", "warning") for name in unknown]
    ours, _ = read_source(input_source)
    own = {k: v for k, v in theirs.items() if k in SCENARIO_TABLES}
    if not own:
        return Scenario(_name(source)), issues
    out = Collector()
    preps = {}
    for name in TABLE_ORDER:  # the input's items and history for the references, the scenario's own tables
        raw = own.get(name) if name in SCENARIO_TABLES else (ours.get(name) if name in ("items", "history") else None)
        if raw is None:
            continue
        prep = prepare(raw, TABLES[name], out)
        if prep is None:
            continue
        check_cells(prep, out)
        check_duplicates(prep, out)
        preps[name] = prep
    _check_references(preps, out, horizon)
    overrides = _settings(preps.get("settings"), out)
    # only what is wrong in the scenario's own tables counts (a capacity table that covers some families only
    # is reported against the items: not an error of a scenario)
    mine = [i for i in out.result() if i.sheet in own and not (i.sheet == "capacity" and "has no capacity for" in i.message)]
    issues += mine
    if any(i.is_error for i in mine):
        return None, issues
    built = _assemble(preps)
    return Scenario(
        _name(source),
        adjustments=built.adjustments if "adjustments" in own else None,
        capacity=built.capacity if "capacity" in own else None,
        settings=dict(overrides),
    ), issues


def _name(source: Path) -> str:
    return Path(source).stem.replace("_", " ")
