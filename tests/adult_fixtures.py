"""UCI Adult rows for bias tests: numeric (label-encoded) columns, as the Clarify BYOC notebook prepares them."""

from __future__ import annotations

import pandas as pd

from conftest import DATASETS

RAW_HEADERS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip
HEADERS = ["Age", "Workclass", "Education-Num", "Sex", "Ethnic group", "Hours per week", "Target"]
FEATURES = HEADERS[:-1]


def adult_raw(rows: int) -> pd.DataFrame:
    """The first ``rows`` rows of adult.data with text cells stripped."""
    raw = pd.read_csv(DATASETS / "adult" / "adult.data", header=None, names=RAW_HEADERS, skipinitialspace=True)
    return raw.iloc[:rows].reset_index(drop=True)


def adult_numeric(rows: int) -> pd.DataFrame:
    """Age, Workclass (codes), Education-Num, Sex (Female = 0), Ethnic group (codes), Hours per week, Target
    (income > 50K = 1), for the first ``rows`` rows."""
    raw = adult_raw(rows)
    frame = pd.DataFrame(
        {
            "Age": raw["age"],
            "Workclass": raw["workclass"].map({v: i for i, v in enumerate(sorted(raw["workclass"].unique()))}),
            "Education-Num": raw["education-num"],
            "Sex": (raw["sex"] == "Male").astype(int),
            "Ethnic group": raw["race"].map({v: i for i, v in enumerate(sorted(raw["race"].unique()))}),
            "Hours per week": raw["hours-per-week"],
            "Target": (raw["income"] == ">50K").astype(int),
        }
    )
    return frame[HEADERS]
