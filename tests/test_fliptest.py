"""The flip test equals smclarify's k-NN computation, on Adult and on data full of repeated rows and ties.

The reference below is smclarify's FT, step for step: ``np.array`` of the feature frame, scikit-learn's
KNeighborsClassifier (k = 5, or 1 when facet a has at most 9 rows; uniform, Minkowski p = 2, algorithm
"auto") fitted on all facet-a rows in dataset order with the predicted labels as targets, then predicting
every facet-d row. Values are compared for exact equality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from clarion.bias import BiasColumns, FlipTestData, flip_test
from clarion.bias.fliptest import flip_test_for_facet, group_rows
from clarion.bias.neighbours import votes

ADULT = Path(__file__).resolve().parents[1] / "datasets" / "adult" / "adult.data"
HEADERS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip


def smclarify_ft(features: pd.DataFrame, facet_d: np.ndarray, positive: np.ndarray) -> float:
    dataset = np.array(features)
    n_a = int((~facet_d).sum())
    knn = KNeighborsClassifier(
        n_neighbors=5 if n_a > 9 else 1, weights="uniform", algorithm="auto", leaf_size=30, p=2, metric="minkowski"
    )
    knn.fit(np.array(list(dataset[~facet_d])), np.array(list(positive[~facet_d])))
    as_if_a = knn.predict(list(dataset[facet_d]))
    model_d = positive[facet_d]
    return ((model_d & ~as_if_a).sum() - (~model_d & as_if_a).sum()) / facet_d.sum()


def accumulate(df: pd.DataFrame, features: list[str], facets: tuple[str, ...], chunk_rows: int) -> FlipTestData:
    """FlipTestData over ``df`` read in chunks, merged out of order (as parallel workers would)."""
    columns = BiasColumns(label="y", facets=facets, group=None, predicted_label="p")
    parts = [
        FlipTestData.from_frame(df.iloc[i : i + chunk_rows], columns, features, row_offset=i)
        for i in range(0, len(df), chunk_rows)
    ]
    merged = parts[-1]
    for part in reversed(parts[:-1]):
        merged = part.merge(merged) if len(parts) % 2 else merged.merge(part)
    return merged


def check_facet(df: pd.DataFrame, data: FlipTestData, facet: str, d_values: list, features: list[str]) -> float:
    facet_d = df[facet].isin(d_values).to_numpy()
    positive = (df["p"] == 1).to_numpy()
    expected = smclarify_ft(df[[c for c in features if c != facet]], facet_d, positive)
    got = flip_test_for_facet(data, facet, frozenset(d_values), frozenset([1]))
    assert got == expected, (facet, d_values, got, expected)
    return got


def encoded_adult() -> pd.DataFrame:
    df = pd.read_csv(ADULT, header=None, names=HEADERS)
    for column in df.columns:
        if not pd.api.types.is_numeric_dtype(df[column]):
            categories = sorted(df[column].unique())
            df[column] = df[column].map({c: i for i, c in enumerate(categories)}).astype("int64")
    features = [c for c in df.columns if c != "income"]
    model = LogisticRegression(max_iter=200).fit(
        (df[features] - df[features].mean()) / df[features].std(), df["income"]
    )
    df["p"] = model.predict((df[features] - df[features].mean()) / df[features].std()).astype("int64")
    return df.rename(columns={"income": "y"})


@pytest.mark.slow
def test_adult_and_adult_resampled_equal_smclarify():
    adult = encoded_adult()
    features = [c for c in adult.columns if c not in ("y", "p")]
    data = accumulate(adult, features, ("sex", "race", "age"), 10_000)
    assert data.row_count == len(adult)
    values = [check_facet(adult, data, "sex", [0], features), check_facet(adult, data, "age", [40], features)]
    for race in sorted(adult["race"].unique()):
        values.append(check_facet(adult, data, "race", [race], features))
    assert len(set(values)) > 3  # the facets really differ
    # every row about four times: neighbours tie at distance 0 in groups of repeated rows
    rng = np.random.default_rng(1)
    repeated = adult.iloc[rng.integers(0, len(adult), 120_000)].reset_index(drop=True)
    data = accumulate(repeated, features, ("sex", "race"), 25_000)
    check_facet(repeated, data, "sex", [0], features)
    check_facet(repeated, data, "race", [2], features)


def tie_heavy(seed: int, n: int, n_features: int, *, random_labels: bool) -> pd.DataFrame:
    """Few distinct small-integer vectors, each repeated many times; labels random or a function of x."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n, n_features))
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(n_features)])
    df["f"] = rng.integers(0, 3, n)
    df["y"] = rng.integers(0, 2, n)
    if random_labels:
        df["p"] = rng.integers(0, 2, n)
    else:
        df["p"] = (x[:, 0] + x[:, 1] * (x[:, -1] - 1) > 1).astype(int)
    return df


@pytest.mark.parametrize("random_labels", [True, False])
@pytest.mark.parametrize("n_features", [2, 4, 17])
def test_repeated_rows_and_distance_ties_equal_smclarify(n_features, random_labels):
    df = tie_heavy(n_features, 3000, n_features, random_labels=random_labels)
    features = [c for c in df.columns if c not in ("y", "p")]
    data = accumulate(df, features, ("f",), 700)
    for d_values in ([0], [1, 2], [2]):
        check_facet(df, data, "f", d_values, features)


@pytest.mark.parametrize("random_labels", [True, False])
def test_only_mixed_labels_at_the_kth_distance_make_the_vote_ambiguous(random_labels):
    # random labels on repeated rows: tied rows at the k-th distance disagree, scikit-learn's tie order decides;
    # labels that are a function of x: ties never disagree and the search alone is exact
    df = tie_heavy(2, 3000, 2, random_labels=random_labels)
    x = df[["x0", "x1"]].to_numpy(float)
    a = (df["f"] != 0).to_numpy()
    codes, first = group_rows([x[a, 0], x[a, 1]], int(a.sum()))
    count = np.bincount(codes).astype(float)
    pos = np.bincount(codes, weights=(df["p"].to_numpy()[a] == 1)).astype(float)
    _, ambiguous = votes(x[a][first], count, pos, np.unique(x[~a], axis=0), 5, np.zeros(9), squared=False)
    assert ambiguous.any() == random_labels


@pytest.mark.parametrize("n_a", [1, 3, 9, 10, 11, 12, 40])
def test_small_facet_a_equals_smclarify(n_a):
    rng = np.random.default_rng(n_a)
    n = n_a + 200
    x = rng.integers(0, 4, size=(n, 3)).astype(float)
    d = np.ones(n, dtype=bool)
    d[rng.choice(n, n_a, replace=False)] = False
    p = rng.integers(0, 2, n).astype(bool)
    assert flip_test(x, d, p) == smclarify_ft(pd.DataFrame(x), d, p)


def test_continuous_features_equal_smclarify():
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(size=(n, 6))
    x[: n // 4] = x[n // 4 : n // 2]  # a quarter of the rows repeated, some across facets
    d = rng.random(n) < 0.3
    p = (x[:, 0] + 0.5 * rng.normal(size=n)) > 0
    assert flip_test(x, d, p) == smclarify_ft(pd.DataFrame(x), d, p)


def test_missing_value_fails_like_scikit_learn():
    df = tie_heavy(0, 200, 3, random_labels=True).astype({"x1": float})
    df.loc[7, "x1"] = np.nan
    features = ["x0", "x1", "x2", "f"]
    data = accumulate(df, features, ("f",), 64)
    with pytest.raises(Exception, match="^Input X contains NaN"):
        flip_test_for_facet(data, "f", frozenset([0]), frozenset([1]))


def test_rows_are_stored_once_per_distinct_tuple_in_compact_types():
    df = tie_heavy(3, 5000, 3, random_labels=False)
    data = accumulate(df, ["x0", "x1", "x2", "f"], ("f",), 5000)
    table = data.consolidated.table
    distinct = df[["x0", "x1", "x2", "f", "p"]].drop_duplicates()
    assert len(table) == len(distinct)
    assert all(column.dtype == np.int8 for column in table.features)
    assert data.consolidated.counts.sum() == len(df)
