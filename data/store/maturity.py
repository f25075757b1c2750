"""Process health records: the maturity assessment per cycle, the company profile, and the meeting agenda's
planned and actual times that the process KPIs read.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import select

from data.store.engine import _float, _frame, _now
from data.store.tables import company_profile, cycles, maturity_answers, meeting_agenda

ANSWER_COLUMNS = ["cycle_id", "cycle_period", "statement", "answer", "proposed", "answered_at", "answered_by"]


class MaturityMixin:
    """Maturity answers, company profile, agenda times (part of `Store`)."""

    def agenda_times(self) -> pd.DataFrame:
        """cycle_id, cycle_period, key, planned_minutes, actual_seconds of every cycle's agenda."""
        with self._read() as conn:
            df = _frame(conn.execute(
                select(meeting_agenda.c.cycle_id, cycles.c.period.label("cycle_period"), meeting_agenda.c.key,
                       meeting_agenda.c.planned_minutes, meeting_agenda.c.actual_seconds)
                .join(cycles, cycles.c.id == meeting_agenda.c.cycle_id)
                .order_by(meeting_agenda.c.cycle_id, meeting_agenda.c.position)))
        return _float(df, ["planned_minutes", "actual_seconds"])

    def maturity_answers(self) -> pd.DataFrame:
        """Every cycle's answers (ANSWER_COLUMNS), oldest cycle first."""
        with self._read() as conn:
            df = _frame(conn.execute(
                select(maturity_answers.c.cycle_id, cycles.c.period.label("cycle_period"),
                       maturity_answers.c.statement, maturity_answers.c.answer, maturity_answers.c.proposed,
                       maturity_answers.c.answered_at, maturity_answers.c.answered_by)
                .join(cycles, cycles.c.id == maturity_answers.c.cycle_id)
                .order_by(maturity_answers.c.cycle_id, maturity_answers.c.statement)))
        return df.reindex(columns=ANSWER_COLUMNS)

    def save_maturity_answers(self, cycle_id: int, answers: dict[str, int | None], proposed: dict[str, int | None],
                              by: str, at: Any = None) -> int:
        """Replace a cycle's answers (one transaction); returns the number of rows written."""
        at = at or _now()
        rows = [{"cycle_id": int(cycle_id), "statement": k, "answer": None if v is None else int(v),
                 "proposed": None if proposed.get(k) is None else int(proposed[k]), "answered_at": at,
                 "answered_by": by} for k, v in answers.items()]
        with self._write() as conn:
            conn.execute(maturity_answers.delete().where(maturity_answers.c.cycle_id == int(cycle_id)))
            if rows:
                conn.execute(maturity_answers.insert(), rows)
        return len(rows)

    def company_profile(self) -> dict[str, Any] | None:
        """The newest saved profile with `saved_at` and `saved_by`, or None."""
        with self._read() as conn:
            row = conn.execute(select(company_profile).order_by(company_profile.c.id.desc()).limit(1)).mappings().first()
        if row is None:
            return None
        return {**json.loads(row["profile_json"]), "saved_at": row["saved_at"], "saved_by": row["saved_by"]}

    def save_company_profile(self, profile: dict[str, Any], by: str) -> int:
        with self._write() as conn:
            return int(conn.execute(company_profile.insert().values(
                profile_json=json.dumps(profile, sort_keys=True, default=str), saved_at=_now(), saved_by=by,
            )).inserted_primary_key[0])
