"""Consensus: composition of adjustments, family spreading, the reference figures."""

import numpy as np
import pandas as pd
import pytest

from planning.cycle import compute_plan
from planning.demand import compose_consensus
from tests.engine_fixtures import adjustments, items, seed_company

H = ["2025-01", "2025-02"]


def stat(rows):
    return pd.DataFrame(rows, columns=["item_id", "period", "statistical"])


def consensus_of(result, item, period):
    c = result.consensus
    return float(c.loc[(c["item_id"] == item) & (c["period"] == period), "consensus"].iloc[0])


@pytest.fixture
def two_items():
    it = items([("A", "F", 10, 5), ("B", "F", 10, 5), ("C", "G", 10, 5)])
    st = stat([("A", "2025-01", 300.0), ("B", "2025-01", 100.0), ("C", "2025-01", 50.0),
               ("A", "2025-02", 0.0), ("B", "2025-02", 0.0), ("C", "2025-02", 70.0)])
    return it, st


def test_reference_figures():
    r = compute_plan(seed_company())
    assert consensus_of(r, "E-100", "2025-01") == 11_000
    assert consensus_of(r, "A-200", "2025-02") == 4_600
    q1 = r.consensus[r.consensus["family"] == "Electronics"]["consensus"].sum()
    assert q1 == 31_700


def test_cells_without_adjustment_equal_statistical(two_items):
    """Reference defect: consensus was missing where a cell had no adjustment."""
    it, st = two_items
    r = compose_consensus(st, it, adjustments([("item", "A", "2025-01", "additive", 10)]), H)
    assert consensus_of(r, "C", "2025-02") == 70
    assert consensus_of(r, "B", "2025-01") == 100
    assert not r.consensus["consensus"].isna().any()


def test_several_adjustments_on_one_cell_compose_in_order(two_items):
    """Reference defect: only one adjustment per cell was applied."""
    it, st = two_items
    adj = adjustments([
        ("item", "C", "2025-01", "percentage", 10),   # 55
        ("item", "C", "2025-01", "additive", 5),      # 60
        ("item", "C", "2025-01", "percentage", -50),  # 30
    ])
    r = compose_consensus(st, it, adj, H)
    assert consensus_of(r, "C", "2025-01") == pytest.approx(30.0)
    assert list(r.applied["before"]) == [50.0, 55.0, 60.0]
    assert list(r.applied["after"]) == [55.0, 60.0, 30.0]


def test_created_at_order_wins_over_file_order(two_items):
    it, st = two_items
    adj = adjustments([
        ("item", "C", "2025-01", "absolute", 200, "2024-12-02"),
        ("item", "C", "2025-01", "percentage", 10, "2024-12-01"),
    ])
    # the percentage was made first: 50 × 1.1 = 55, then set to 200
    assert consensus_of(compose_consensus(st, it, adj, H), "C", "2025-01") == 200
    adj2 = adjustments([
        ("item", "C", "2025-01", "percentage", 10, "2024-12-02"),
        ("item", "C", "2025-01", "absolute", 200, "2024-12-01"),
    ])
    assert consensus_of(compose_consensus(st, it, adj2, H), "C", "2025-01") == pytest.approx(220)


def test_file_order_breaks_created_at_ties(two_items):
    it, st = two_items
    adj = adjustments([
        ("item", "C", "2025-01", "additive", 10, "2024-12-01"),
        ("item", "C", "2025-01", "percentage", 100, "2024-12-01"),
    ])
    assert consensus_of(compose_consensus(st, it, adj, H), "C", "2025-01") == 120


def test_family_additive_spreads_pro_rata(two_items):
    it, st = two_items
    r = compose_consensus(st, it, adjustments([("family", "F", "2025-01", "additive", 100)]), H)
    assert consensus_of(r, "A", "2025-01") == 375  # 300 + 100 × 3/4
    assert consensus_of(r, "B", "2025-01") == 125
    assert consensus_of(r, "C", "2025-01") == 50  # other family untouched


def test_family_absolute_on_zero_total_spreads_equally(two_items):
    it, st = two_items
    r = compose_consensus(st, it, adjustments([("family", "F", "2025-02", "absolute", 90)]), H)
    assert consensus_of(r, "A", "2025-02") == 45
    assert consensus_of(r, "B", "2025-02") == 45


def test_family_adjustment_uses_current_values_after_item_edit(two_items):
    it, st = two_items
    adj = adjustments([
        ("item", "B", "2025-01", "absolute", 300),       # F = 300 + 300
        ("family", "F", "2025-01", "absolute", 1200),    # doubles both
        ("item", "A", "2025-01", "additive", -100),
    ])
    r = compose_consensus(st, it, adj, H)
    assert consensus_of(r, "A", "2025-01") == 500
    assert consensus_of(r, "B", "2025-01") == 600
    assert r.applied.loc[1, "before"] == 600 and r.applied.loc[1, "after"] == 1200


def test_consensus_never_negative(two_items):
    it, st = two_items
    adj = adjustments([("family", "F", "2025-01", "additive", -1000), ("item", "C", "2025-01", "additive", -80)])
    r = compose_consensus(st, it, adj, H)
    assert (r.consensus["consensus"] >= 0).all()
    assert consensus_of(r, "A", "2025-01") == 0
    assert consensus_of(r, "C", "2025-01") == 0


def test_percentage_on_family_keeps_mix(two_items):
    it, st = two_items
    r = compose_consensus(st, it, adjustments([("family", "F", "2025-01", "percentage", -10)]), H)
    assert consensus_of(r, "A", "2025-01") == 270
    assert consensus_of(r, "B", "2025-01") == 90


def test_outside_horizon_is_reported_not_applied(two_items):
    it, st = two_items
    r = compose_consensus(st, it, adjustments([("item", "A", "2026-01", "additive", 5)]), H)
    assert r.warnings and "outside the horizon" in r.warnings[0]
    assert np.allclose(r.consensus["consensus"], r.consensus["statistical"])


def test_many_adjustments_vectorized_result_matches_sequential():
    """500 random adjustments against a plain sequential implementation of the Definitions."""
    rng = np.random.default_rng(3)
    n_items, fams = 60, ["F0", "F1", "F2", "F3"]
    it = items([(f"I{i}", fams[i % 4], 10, 5) for i in range(n_items)])
    periods = ["2025-01", "2025-02", "2025-03"]
    st = stat([(f"I{i}", p, float(rng.integers(0, 50))) for i in range(n_items) for p in periods])
    rows = []
    for k in range(500):
        fam_level = rng.random() < 0.3
        key = fams[rng.integers(4)] if fam_level else f"I{rng.integers(n_items)}"
        kind = ["percentage", "additive", "absolute"][rng.integers(3)]
        value = {"percentage": rng.uniform(-30, 40), "additive": rng.uniform(-20, 30),
                 "absolute": rng.uniform(0, 80)}[kind]
        created = f"2024-12-{1 + rng.integers(20):02d}"
        rows.append(("family" if fam_level else "item", key, periods[rng.integers(3)], kind, value, created))
    adj = adjustments(rows)
    got = compose_consensus(st, it, adj, periods).consensus.set_index(["item_id", "period"])["consensus"]

    # plain sequential reference
    values = st.set_index(["item_id", "period"])["statistical"].to_dict()
    fam_of = dict(zip(it["item_id"], it["family"]))
    members = {f: [i for i in it["item_id"] if fam_of[i] == f] for f in fams}
    order = adj.sort_values(["created_at", "seq"], kind="stable")

    def apply(kind, v, x):
        return max(0.0, x * (1 + v / 100) if kind == "percentage" else x + v if kind == "additive" else v)

    for a in order.itertuples():
        if a.level == "item":
            values[(a.key, a.period)] = apply(a.type, a.value, values[(a.key, a.period)])
        else:
            cells = [(i, a.period) for i in members[a.key]]
            total = sum(values[c] for c in cells)
            new = apply(a.type, a.value, total)
            for c in cells:
                values[c] = values[c] * new / total if total > 0 else new / len(cells)
    expected = pd.Series(values)
    for key, v in expected.items():
        assert got[key] == pytest.approx(v, abs=1e-5)


def test_scenarios_from_prediction_intervals_and_flat():
    from planning.demand import scenario_consensus

    cons = pd.DataFrame({"item_id": ["A", "B"], "family": ["F", "F"], "period": ["2025-01"] * 2,
                         "statistical": [100.0, 50.0], "consensus": [110.0, 50.0]})
    fc = pd.DataFrame({"item_id": ["A", "B"], "period": ["2025-01"] * 2, "forecast": [100.0, 50.0],
                       "lo80": [80.0, np.nan], "hi80": [130.0, np.nan]})
    up = scenario_consensus(cons, 15, side="up", forecast=fc)
    down = scenario_consensus(cons, 15, side="down", forecast=fc)
    assert list(up["consensus"]) == pytest.approx([110 * 1.3, 50 * 1.15])  # B has no interval: ±15 %
    assert list(down["consensus"]) == pytest.approx([110 * 0.8, 50 * 0.85])
    flat = scenario_consensus(cons, 15, side="up")
    assert list(flat["consensus"]) == pytest.approx([126.5, 57.5])


def test_spread_pro_rata_by_hand():
    from planning.demand import spread_pro_rata

    assert spread_pro_rata(np.array([300.0, 100.0]), 440.0) == pytest.approx([330.0, 110.0])
    assert spread_pro_rata(np.array([0.0, 0.0, 0.0]), 90.0) == pytest.approx([30.0, 30.0, 30.0])  # equal at 0
    assert spread_pro_rata(np.array([5.0, 0.0]), 0.0) == pytest.approx([0.0, 0.0])
    # items × months without groups: each month on its own
    two = spread_pro_rata(np.array([[1.0, 0.0], [3.0, 0.0]]), np.array([8.0, 4.0]))
    assert two == pytest.approx(np.array([[2.0, 2.0], [6.0, 2.0]]))


def test_spread_pro_rata_by_group_matches_one_group_at_a_time():
    from planning.demand import spread_pro_rata

    parts = np.array([[300.0, 0.0], [100.0, 0.0], [50.0, 70.0]])
    groups = np.array([0, 0, 1])
    totals = np.array([[440.0, 10.0], [25.0, 70.0]])
    out = spread_pro_rata(parts, totals, groups)
    assert out == pytest.approx(np.array([[330.0, 5.0], [110.0, 5.0], [25.0, 70.0]]))
    for g in (0, 1):
        assert out[groups == g] == pytest.approx(spread_pro_rata(parts[groups == g], totals[g]))
        assert out[groups == g].sum(axis=0) == pytest.approx(totals[g])
