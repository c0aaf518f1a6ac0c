"""Kernel SHAP engine: exact values against brute-force enumeration, sampling error, seeds, logit, dedupe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from clarion.config import ShapConfig
from clarion.errors import ConfigError, PredictorError
from clarion.explain import concat_results, explain_tabular
from clarion.explain.aggregate import aggregate, aggregate_stderr
from explain_fixtures import CountingModel, TermModel, brute_force_shapley, mixed_frame, nonlinear_mixed_model


def _linear(weights):
    def predict(frame: pd.DataFrame) -> np.ndarray:
        return (frame.to_numpy(dtype=float) @ np.asarray(weights))[:, None]

    return predict


@pytest.mark.parametrize("n_background", [1, 4])
def test_linear_model_matches_closed_form(n_background):
    rng = np.random.default_rng(1)
    w = rng.normal(size=7)
    rows = pd.DataFrame(rng.normal(size=(5, 7)), columns=list("abcdefg"))
    background = pd.DataFrame(rng.normal(size=(n_background, 7)), columns=list("abcdefg"))
    result = explain_tabular(rows, background, _linear(w), ["label0"], ShapConfig(), rng)
    # for a linear model phi_j = w_j (x_j - mean_b b_j)
    expected = w * (rows.to_numpy() - background.to_numpy().mean(axis=0))
    np.testing.assert_allclose(result.values[:, :, 0], expected, atol=1e-10)
    assert result.exact
    assert result.num_samples == 2**7 - 2
    np.testing.assert_allclose(result.stderr, 0.0)


@pytest.mark.parametrize("n_background", [1, 3])
@pytest.mark.slow
def test_nonlinear_model_with_string_feature_matches_brute_force(n_background):
    rng = np.random.default_rng(2)
    rows = mixed_frame(rng, 6, 6)
    background = mixed_frame(rng, n_background, 6)
    background.loc[0, "colour"] = rows.loc[0, "colour"]  # a shared value exercises de-duplication
    result = explain_tabular(rows, background, nonlinear_mixed_model, ["score", "prob"], ShapConfig(), rng)
    assert result.feature_names == tuple(rows.columns)
    for i in range(len(rows)):
        exact = brute_force_shapley(rows.iloc[i], background, nonlinear_mixed_model)
        np.testing.assert_allclose(result.values[i], exact, atol=1e-8)
    # efficiency: sum phi = f(x) - E[f(baseline)]
    f_x = nonlinear_mixed_model(rows)
    f_b = nonlinear_mixed_model(background).mean(axis=0)
    np.testing.assert_allclose(result.values.sum(axis=1), f_x - f_b, atol=1e-10)
    np.testing.assert_allclose(result.expected_value, f_b, atol=1e-12)


def test_ten_features_exact_against_brute_force():
    rng = np.random.default_rng(3)
    cols = [f"x{i}" for i in range(10)]
    rows = pd.DataFrame(rng.normal(size=(2, 10)), columns=cols)
    background = pd.DataFrame(rng.normal(size=(2, 10)), columns=cols)

    def model(frame):
        a = frame.to_numpy(dtype=float)
        return (np.maximum(a[:, 0], a[:, 1]) * a[:, 2] + np.exp(0.3 * a[:, 3] * a[:, 9]) + a[:, 4:9].sum(axis=1))[
            :, None
        ]

    result = explain_tabular(rows, background, model, ["label0"], ShapConfig(num_samples=5000), rng)
    assert result.exact and result.num_samples == 1022
    for i in range(2):
        np.testing.assert_allclose(result.values[i], brute_force_shapley(rows.iloc[i], background, model), atol=1e-8)


def test_use_logit_explains_log_odds():
    rng = np.random.default_rng(4)
    rows = mixed_frame(rng, 4, 5)
    background = mixed_frame(rng, 2, 5)

    def prob(frame):
        return nonlinear_mixed_model(frame)[:, 1:]

    result = explain_tabular(rows, background, prob, ["label0"], ShapConfig(use_logit=True), rng)
    mean_b = prob(background).mean()
    assert result.expected_value[0] == pytest.approx(np.log(mean_b / (1 - mean_b)), abs=1e-12)
    for i in range(len(rows)):
        exact = brute_force_shapley(rows.iloc[i], background, prob, logit=True)
        np.testing.assert_allclose(result.values[i], exact, atol=1e-8)
    p = prob(rows)[:, 0]
    np.testing.assert_allclose(
        result.values[:, :, 0].sum(axis=1), np.log(p / (1 - p)) - result.expected_value[0], atol=1e-9
    )


def test_use_logit_clips_certain_outputs():
    rows = pd.DataFrame({"a": [1.0, 0.0], "b": [0.0, 1.0]})
    background = pd.DataFrame({"a": [0.0], "b": [0.0]})

    def model(frame):
        return (frame["a"].to_numpy() > 0.5).astype(float)[:, None]  # outputs exactly 0 or 1

    result = explain_tabular(rows, background, model, ["label0"], ShapConfig(use_logit=True), np.random.default_rng(0))
    assert np.isfinite(result.values).all()
    assert result.values[0, 0, 0] == pytest.approx(2 * np.log((1 - 1e-9) / 1e-9), rel=1e-6)


def test_features_to_explain_keeps_other_features_at_row_values():
    rng = np.random.default_rng(5)
    rows = mixed_frame(rng, 3, 5)
    background = mixed_frame(rng, 2, 5)
    config = ShapConfig(features_to_explain=["f0", "colour", 3])
    result = explain_tabular(rows, background, nonlinear_mixed_model, ["s", "p"], config, rng)
    assert result.feature_names == ("f0", "f3", "colour")
    players = [0, 3, 5]
    for i in range(len(rows)):
        exact = brute_force_shapley(rows.iloc[i], background, nonlinear_mixed_model, players=players)
        np.testing.assert_allclose(result.values[i], exact, atol=1e-8)
    # efficiency against the row's own base value (non-players fixed at the row)
    np.testing.assert_allclose(result.values.sum(axis=1), nonlinear_mixed_model(rows) - result.base_values, atol=1e-10)


def test_features_to_explain_errors_name_the_key():
    rows = pd.DataFrame({"a": [1.0], "b": [2.0]})
    with pytest.raises(ConfigError, match=r"^methods\.shap\.features_to_explain: unknown feature 'zz'$"):
        explain_tabular(
            rows, rows, _linear([1, 1]), ["l"], ShapConfig(features_to_explain=["zz"]), np.random.default_rng(0)
        )
    with pytest.raises(ConfigError, match=r"index 5 is out of range for 2 features"):
        explain_tabular(
            rows, rows, _linear([1, 1]), ["l"], ShapConfig(features_to_explain=[5]), np.random.default_rng(0)
        )


@pytest.mark.slow
def test_sampled_error_falls_with_budget_and_stderr_is_calibrated():
    rng = np.random.default_rng(6)
    m = 12
    cols = [f"x{i}" for i in range(m)]
    rows = pd.DataFrame(rng.normal(size=(2, m)), columns=cols)
    background = pd.DataFrame(rng.normal(size=(1, m)), columns=cols)
    w = rng.normal(size=m)

    def model(frame):
        a = frame.to_numpy(dtype=float)
        return (a @ w + a[:, 0] * a[:, 1] * a[:, 2] + np.tanh(a[:, 3] * a[:, 4]) + a[:, 5] * a[:, 6] * a[:, 7])[:, None]

    exact = np.stack([brute_force_shapley(rows.iloc[i], background, model) for i in range(2)])
    rmse, sd, se = [], [], []
    for budget in (60, 400, 2000):
        runs = [
            explain_tabular(rows, background, model, ["l"], ShapConfig(num_samples=budget), np.random.default_rng(s))
            for s in range(40)
        ]
        est = np.stack([r.values for r in runs])
        assert not runs[0].exact and runs[0].num_samples == budget
        rmse.append(np.sqrt(((est - exact) ** 2).mean()))
        sd.append(est.std(axis=0).mean())
        se.append(np.mean([r.stderr for r in runs]))
        np.testing.assert_allclose(
            est.sum(axis=2).sum(axis=2), np.broadcast_to(exact.sum(axis=(1, 2)), (40, 2)), atol=1e-9
        )
    assert rmse[0] > rmse[1] > rmse[2]
    assert rmse[2] < 0.25 * rmse[0]
    for s_emp, s_rep in zip(sd, se, strict=True):
        assert 0.5 < s_rep / s_emp < 2.0  # reported standard errors track the observed spread


def test_same_seed_same_numbers_and_chunking_does_not_matter():
    rng = np.random.default_rng(7)
    rows = mixed_frame(rng, 9, 13)
    background = mixed_frame(rng, 2, 13)
    config = ShapConfig(num_samples=100, seed=11)
    a = explain_tabular(rows, background, nonlinear_mixed_model, ["s", "p"], config, np.random.default_rng(11))
    b = explain_tabular(rows, background, nonlinear_mixed_model, ["s", "p"], config, np.random.default_rng(11))
    np.testing.assert_array_equal(a.values, b.values)
    c = explain_tabular(rows, background, nonlinear_mixed_model, ["s", "p"], config, np.random.default_rng(12))
    assert not np.allclose(a.values, c.values)
    # row chunks explained separately with a generator made from the same seed give the same numbers
    parts = [
        explain_tabular(
            rows.iloc[lo : lo + 4].reset_index(drop=True),
            background,
            nonlinear_mixed_model,
            ["s", "p"],
            config,
            np.random.default_rng(11),
            row_offset=lo,
        )
        for lo in range(0, 9, 4)
    ]
    np.testing.assert_allclose(concat_results(parts).values, a.values, atol=1e-12)
    small_batches = explain_tabular(
        rows, background, nonlinear_mixed_model, ["s", "p"], config, np.random.default_rng(11), max_batch_rows=10
    )
    np.testing.assert_allclose(small_batches.values, a.values, atol=1e-12)


def test_no_synthetic_row_is_predicted_twice_and_one_call_per_chunk():
    rng = np.random.default_rng(8)
    rows = mixed_frame(rng, 6, 5)
    background = mixed_frame(rng, 3, 5)
    background["colour"] = rows["colour"].iloc[:3].to_numpy()  # shared values make duplicate coalitions
    background.loc[1, "f2"] = rows.loc[2, "f2"]
    model = CountingModel(nonlinear_mixed_model)
    result = explain_tabular(rows, background, model, ["s", "p"], ShapConfig(), rng)
    assert len(model.frames) == 2  # background once, then one call for all rows
    sent = pd.concat(model.frames, ignore_index=True)
    assert not sent.duplicated().any()
    assert result.model_rows == len(sent)
    naive = len(rows) * (2**6 - 2) * len(background) + len(rows) + len(background)
    assert len(sent) < naive
    for i in range(len(rows)):
        np.testing.assert_allclose(
            result.values[i], brute_force_shapley(rows.iloc[i], background, nonlinear_mixed_model), atol=1e-8
        )


def test_precomputed_row_outputs_are_used():
    rng = np.random.default_rng(9)
    rows = mixed_frame(rng, 4, 5)
    background = mixed_frame(rng, 2, 5)
    model = CountingModel(nonlinear_mixed_model)
    with_outputs = explain_tabular(
        rows, background, model, ["s", "p"], ShapConfig(), rng, row_outputs=nonlinear_mixed_model(rows)
    )
    plain = explain_tabular(rows, background, nonlinear_mixed_model, ["s", "p"], ShapConfig(), rng)
    np.testing.assert_allclose(with_outputs.values, plain.values, atol=1e-12)
    assert with_outputs.model_rows == plain.model_rows - len(rows)


def test_progress_reports_every_row():
    rng = np.random.default_rng(10)
    rows = mixed_frame(rng, 7, 5)
    done: list[int] = []
    explain_tabular(
        rows, rows.iloc[:1], nonlinear_mixed_model, ["s", "p"], ShapConfig(), rng, done.append, max_batch_rows=20
    )
    assert sum(done) == 7 and len(done) > 1


def test_single_feature_gets_the_whole_difference():
    rows = pd.DataFrame({"a": [3.0, -1.0]})
    background = pd.DataFrame({"a": [1.0, 2.0]})

    def model(frame):
        return (frame["a"].to_numpy() ** 2)[:, None]

    result = explain_tabular(rows, background, model, ["l"], ShapConfig(), np.random.default_rng(0))
    np.testing.assert_allclose(result.values[:, 0, 0], [9 - 2.5, 1 - 2.5])


def test_wrong_model_output_shape_is_a_predictor_error():
    rows = pd.DataFrame({"a": [1.0], "b": [2.0]})

    def bad(frame):
        return np.zeros((len(frame) + 1, 1))

    with pytest.raises(PredictorError, match=r"model returned outputs of shape \(2, 1\) for 1 rows, expected \(1, 1\)"):
        explain_tabular(rows, rows, bad, ["l"], ShapConfig(), np.random.default_rng(0))


def test_baseline_with_other_column_names_or_width():
    rows = pd.DataFrame({"a": [1.0], "b": [2.0]})
    renamed = pd.DataFrame({0: [0.0], 1: [0.0]})
    result = explain_tabular(rows, renamed, _linear([1.0, 3.0]), ["l"], ShapConfig(), np.random.default_rng(0))
    np.testing.assert_allclose(result.values[0, :, 0], [1.0, 6.0])
    with pytest.raises(ConfigError, match=r"^methods\.shap\.baseline: expected 2 feature columns, got 1$"):
        explain_tabular(rows, renamed[[0]], _linear([1.0, 3.0]), ["l"], ShapConfig(), np.random.default_rng(0))


def test_many_features_with_repeated_background_values_use_wide_keys():
    rng = np.random.default_rng(12)
    m = 70
    cols = [f"x{i}" for i in range(m)]
    rows = pd.DataFrame(rng.integers(0, 2, size=(2, m)).astype(float), columns=cols)
    background = pd.DataFrame(rng.integers(0, 2, size=(3, m)).astype(float), columns=cols)
    w = rng.normal(size=m)
    model = CountingModel(_linear(w))
    result = explain_tabular(rows, background, model, ["l"], ShapConfig(num_samples=200), rng)
    sent = pd.concat(model.frames[1:], ignore_index=True)
    assert not sent.duplicated().any()
    # linear model: any coalition plan gives the exact w_j (x_j - mean b_j)
    expected = w * (rows.to_numpy() - background.to_numpy().mean(axis=0))
    np.testing.assert_allclose(result.values[:, :, 0], expected, atol=1e-8)


@pytest.mark.parametrize("row_free", [True, False])
def test_inputs_are_grouped_exactly_even_when_hashes_collide(monkeypatch, row_free):
    from clarion.explain import kernel_shap

    rng = np.random.default_rng(13)
    b, r, s, p = 2, 30, 6, 5
    bg_codes = rng.integers(0, 3, size=(b, p))
    row_codes = rng.integers(0, 3, size=(r, p))
    masks = rng.random((r, s, p)) < 0.5
    # every input written out as (row part, player codes), in the order of kernel_shap._distinct_inputs
    inputs = [(0, *bg_codes[k]) for k in range(b)]
    inputs += [(0 if row_free else i + 1, *row_codes[i]) for i in range(r)]
    for i in range(r):
        for c in range(s):
            for k in range(b):
                codes = np.where(masks[i, c], row_codes[i], bg_codes[k])
                inputs.append((0 if row_free else i + 1, *codes))
    _, want_first, want_inverse = np.unique(np.array(inputs), axis=0, return_index=True, return_inverse=True)

    def groups(first, inverse):  # each input named by the first input equal to it
        return first[np.asarray(inverse).ravel()].tolist()

    expected = groups(want_first, want_inverse)
    assert len(set(expected)) < len(inputs)  # the case has coinciding inputs
    assert groups(*kernel_shap._input_groups(row_free, bg_codes, row_codes, masks)) == expected
    monkeypatch.setattr(kernel_shap, "_mix", lambda z: z & np.uint64(1))  # hashes collide all the time
    assert groups(*kernel_shap._input_groups(row_free, bg_codes, row_codes, masks)) == expected


def test_composer_codes_of_minus_one_are_unique_to_their_row():
    from clarion.explain import TabularComposer, explain, plan_coalitions

    class CoarseCodes(TabularComposer):
        def value_codes(self, row_ids):
            bg, rows = super().value_codes(row_ids)
            return bg, np.where((rows[:, None, :] == bg[None]).any(axis=1), rows, -1)

    rng = np.random.default_rng(13)
    rows = mixed_frame(rng, 5, 5)
    background = mixed_frame(rng, 2, 5)
    composer = CoarseCodes(rows, background, list(range(6)))
    result = explain(
        composer,
        nonlinear_mixed_model,
        plan_coalitions(6, 100, rng),
        feature_names=list(rows.columns),
        output_names=["s", "p"],
    )
    for i in range(len(rows)):
        np.testing.assert_allclose(
            result.values[i], brute_force_shapley(rows.iloc[i], background, nonlinear_mixed_model), atol=1e-8
        )


def _term_case(m: int, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, TermModel]:
    rng = np.random.default_rng(seed)
    cols = [f"x{j}" for j in range(m)]
    model = TermModel(rng, m)
    rows = pd.DataFrame(rng.normal(size=(n, m)), columns=cols)
    baseline = pd.DataFrame(rng.normal(size=(1, m)) * 0.1, columns=cols)
    return rows, baseline, model


@pytest.mark.parametrize("budget", [15, 20])
def test_small_budgets_tell_every_feature_apart(budget):
    rows, baseline, model = _term_case(8, 60, 20)
    exact = model.exact(rows, baseline)
    result = explain_tabular(rows, baseline, model, ["l"], ShapConfig(num_samples=budget), np.random.default_rng(0))
    values = result.values[:, :, 0]
    assert not result.exact
    for j in range(8):
        for k in range(j + 1, 8):
            assert not np.allclose(exact[:, j], exact[:, k])
            assert not np.allclose(values[:, j], values[:, k], rtol=0, atol=1e-12), (j, k)
    if budget >= 16:  # the singletons and their complements are enumerated: no tie within any row
        gaps = np.abs(values[:, :, None] - values[:, None, :]) + np.eye(8)[None]
        assert gaps.min() > 1e-12


def test_budgets_below_two_m_give_additive_models_their_exact_values_where_they_reach():
    rng = np.random.default_rng(31)
    m = 14
    cols = [f"x{j}" for j in range(m)]
    rows = pd.DataFrame(rng.normal(size=(20, m)), columns=cols)
    baseline = pd.DataFrame(rng.normal(size=(1, m)), columns=cols)
    w = rng.normal(size=m)
    exact = w * (rows.to_numpy() - baseline.to_numpy())
    # 20 coalitions for 14 players: every player has its singleton, so an additive model is exact
    full = explain_tabular(rows, baseline, _linear(w), ["l"], ShapConfig(num_samples=20), np.random.default_rng(0))
    np.testing.assert_allclose(full.values[:, :, 0], exact, atol=1e-9)
    assert np.isnan(full.stderr).all()
    # 9 coalitions: 9 players per row exact, the other 5 share the rest of f(x) - f(b) equally
    few = explain_tabular(rows, baseline, _linear(w), ["l"], ShapConfig(num_samples=9), np.random.default_rng(0))
    values = few.values[:, :, 0]
    for i in range(len(rows)):
        hit = np.isclose(values[i], exact[i], rtol=0, atol=1e-9)
        assert hit.sum() >= 9
        rest = values[i][~hit]
        np.testing.assert_allclose(rest, exact[i][~hit].sum() / rest.size, atol=1e-9)


def test_stderr_is_nan_or_positive_unless_exact():
    rows, baseline, model = _term_case(24, 10, 21)
    few = explain_tabular(rows, baseline, model, ["l"], ShapConfig(num_samples=20), np.random.default_rng(0))
    assert np.isnan(few.stderr).all()  # 10 pairs cannot identify 24 players: no error estimate
    rows, baseline, model = _term_case(8, 10, 22)
    rows.loc[3, "x2"] = baseline.loc[0, "x2"]  # a null player: exactly 0, known without error
    sampled = explain_tabular(rows, baseline, model, ["l"], ShapConfig(num_samples=100), np.random.default_rng(0))
    se = sampled.stderr[:, :, 0]
    null = np.zeros_like(se, dtype=bool)
    null[3, 2] = True
    assert sampled.values[3, 2, 0] == 0.0 and se[3, 2] == 0.0
    assert np.isfinite(se).all() and (se[~null] > 0).all()
    exact = explain_tabular(rows, baseline, model, ["l"], ShapConfig(), np.random.default_rng(0))
    assert exact.exact and (exact.stderr == 0).all()
    np.testing.assert_allclose(exact.values[:, :, 0], model.exact(rows, baseline), atol=1e-9)


@pytest.mark.parametrize("budget", [40, 200, 400, 800])  # 400 and 800 sample 48-71% of some sizes' units
def test_stderr_covers_the_exact_values_95_percent_of_the_time(budget):
    rows, baseline, model = _term_case(10, 400, 23)
    exact = model.exact(rows, baseline)
    result = explain_tabular(rows, baseline, model, ["l"], ShapConfig(num_samples=budget), np.random.default_rng(1))
    err = np.abs(result.values[:, :, 0] - exact)
    se = result.stderr[:, :, 0]
    assert np.isfinite(se).all() and (se > 0).all()
    coverage = float((err <= 1.96 * se).mean())
    assert 0.90 <= coverage <= 0.98, coverage


def test_global_stderr_matches_the_spread_of_global_values():
    rows, baseline, model = _term_case(10, 100, 24)
    exact_global = np.abs(model.exact(rows, baseline)).mean(axis=0)
    runs = [
        explain_tabular(rows, baseline, model, ["l"], ShapConfig(num_samples=60), np.random.default_rng(s))
        for s in range(30)
    ]
    assert all(r.independent_rows for r in runs)
    glob = np.stack([aggregate(r.values)[:, 0] for r in runs])
    se = np.stack([aggregate_stderr(r.values, r.stderr, "mean_abs", True, r.dof)[:, 0] for r in runs])
    rmse = np.sqrt(((glob - exact_global) ** 2).mean(axis=0))
    ratio = se.mean(axis=0) / rmse
    assert 0.6 < np.median(ratio) < 1.7, ratio


def test_target_stderr_adds_coalitions_until_the_target():
    rows, baseline, model = _term_case(10, 30, 25)
    exact = model.exact(rows, baseline)
    target = 0.02
    config = ShapConfig(num_samples=40, target_stderr=target)
    result = explain_tabular(rows, baseline, model, ["l"], config, np.random.default_rng(2))
    assert (result.stderr <= target).all()
    assert result.samples_used.min() >= 40 and result.samples_used.max() > 40
    plain = explain_tabular(rows, baseline, model, ["l"], ShapConfig(num_samples=40), np.random.default_rng(2))
    missed = plain.stderr[:, :, 0].max(axis=1) > target
    assert missed.any()
    np.testing.assert_array_equal(result.samples_used[~missed], 40)  # rows already on target keep their budget
    assert (result.samples_used[missed] > 40).all()
    assert np.abs(result.values[:, :, 0] - exact).mean() < np.abs(plain.values[:, :, 0] - exact).mean()
    # a target no design reaches short of enumeration ends in the exact values
    tiny = explain_tabular(
        rows.iloc[:3], baseline, model, ["l"], ShapConfig(num_samples=40, target_stderr=1e-12), np.random.default_rng(2)
    )
    assert tiny.exact and (tiny.stderr == 0).all()
    np.testing.assert_allclose(tiny.values[:, :, 0], exact[:3], atol=1e-9)


def test_target_stderr_must_be_positive():
    with pytest.raises(ValidationError, match="target_stderr"):
        ShapConfig(target_stderr=0)
    assert ShapConfig(target_stderr=0.5).target_stderr == 0.5
