"""The ``methods`` section: bias, SHAP (with text and image settings), PDP, report, asymmetric Shapley."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, StrictInt, StrictStr, model_validator

from clarion.config._base import (
    ClosedModel,
    NameOrIndex,
    PositiveInt,
    ScalarValue,
    StrictNumber,
    lower_choice,
)

PRE_TRAINING_METRICS = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
POST_TRAINING_METRICS = (
    "AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE",
)  # fmt: skip


def _metric_selector(known: tuple[str, ...]) -> Any:
    """``"all"`` or a list of metric codes, validated case-insensitively and stored as an upper-case tuple."""

    def check(value: Any) -> Any:
        if isinstance(value, str):
            if value.lower() == "all":
                return known
            value = [value]
        if not isinstance(value, list) or not value:
            raise ValueError(f'expected "all" or a non-empty list of metric names, got {value!r}')
        codes = []
        for item in value:
            if not isinstance(item, str) or item.upper() not in known:
                raise ValueError(f"unknown metric {item!r}; known metrics: {', '.join(known)}")
            codes.append(item.upper())
        return tuple(sorted(set(codes)))

    return Annotated[tuple[str, ...], BeforeValidator(check)]


class PreTrainingBias(ClosedModel):
    methods: _metric_selector(PRE_TRAINING_METRICS)  # type: ignore[valid-type]


class PostTrainingBias(ClosedModel):
    methods: _metric_selector(POST_TRAINING_METRICS) = POST_TRAINING_METRICS  # type: ignore[valid-type]


TEXT_LANGUAGES = {
    "chinese": "zh", "danish": "da", "dutch": "nl", "english": "en", "french": "fr", "german": "de",
    "greek": "el", "italian": "it", "japanese": "ja", "lithuanian": "lt", "multi-language": "xx",
    "norwegian bokmål": "nb", "polish": "pl", "portuguese": "pt", "romanian": "ro", "russian": "ru",
    "spanish": "es", "afrikaans": "af", "albanian": "sq", "arabic": "ar", "armenian": "hy",
    "basque": "eu", "bengali": "bn", "bulgarian": "bg", "catalan": "ca", "croatian": "hr",
    "czech": "cs", "estonian": "et", "finnish": "fi", "gujarati": "gu", "hebrew": "he", "hindi": "hi",
    "hungarian": "hu", "icelandic": "is", "indonesian": "id", "irish": "ga", "kannada": "kn",
    "kyrgyz": "ky", "latvian": "lv", "ligurian": "lij", "luxembourgish": "lb", "macedonian": "mk",
    "malayalam": "ml", "marathi": "mr", "nepali": "ne", "persian": "fa", "sanskrit": "sa",
    "serbian": "sr", "setswana": "tn", "sinhala": "si", "slovak": "sk", "slovenian": "sl",
    "swedish": "sv", "tagalog": "tl", "tamil": "ta", "tatar": "tt", "telugu": "te", "thai": "th",
    "turkish": "tr", "ukrainian": "uk", "urdu": "ur", "vietnamese": "vi", "yoruba": "yo",
}  # fmt: skip


def _language(value: Any) -> Any:
    """A language name or code from Clarify's list, stored as its code (``"English"`` -> ``"en"``)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a language name or code, got {value!r}")
    key = value.lower()
    if key in TEXT_LANGUAGES:
        return TEXT_LANGUAGES[key]
    if key in TEXT_LANGUAGES.values():
        return key
    raise ValueError(f"unknown language {value!r}; expected one of Clarify's names or codes, e.g. 'english' or 'en'")


class TextConfig(ClosedModel):
    granularity: lower_choice("token", "sentence", "paragraph")  # type: ignore[valid-type]
    language: Annotated[str, BeforeValidator(_language)]
    max_top_tokens: PositiveInt = 50


class ImageDebug(ClosedModel):
    image_names: list[StrictStr] | None = None
    class_ids: list[StrictInt] | None = None
    sample_from: StrictInt | None = None
    sample_to: StrictInt | None = None


class ImageConfig(ClosedModel):
    model_type: lower_choice("image_classification", "object_detection") = "image_classification"  # type: ignore[valid-type]
    num_segments: PositiveInt = 20
    segment_compactness: StrictNumber = 5.0
    feature_extraction_method: lower_choice("segmentation") = "segmentation"  # type: ignore[valid-type]
    max_objects: PositiveInt = 3
    iou_threshold: StrictNumber = 0.5
    context: StrictNumber = 1.0
    debug: ImageDebug | None = None

    @model_validator(mode="after")
    def _ranges(self) -> ImageConfig:
        if not 0.0 <= self.context <= 1.0:
            raise ValueError(f"context: expected a number between 0 and 1, got {self.context!r}")
        if not 0.0 <= self.iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold: expected a number between 0 and 1, got {self.iou_threshold!r}")
        return self


BaselineRow = list[ScalarValue | None] | dict[str, Any]


class ShapConfig(ClosedModel):
    baseline: StrictStr | list[BaselineRow] | dict[str, Any] | None = None
    num_clusters: PositiveInt | None = None
    num_samples: PositiveInt | None = None
    agg_method: lower_choice("mean_abs", "median", "mean_sq") = "mean_abs"  # type: ignore[valid-type]
    use_logit: StrictBool = False
    save_local_shap_values: StrictBool = True
    seed: StrictInt | None = None
    features_to_explain: list[NameOrIndex] | None = None
    text_config: TextConfig | None = None
    image_config: ImageConfig | None = None
    # clarion's own key: add coalitions per row until every feature's standard error is at most this
    target_stderr: StrictNumber | None = None
    # clarion's own key: out.csv columns named by the bare feature name (single-output models), as Clarify's
    # older releases wrote them, instead of <feature>_<label>
    bare_feature_names: StrictBool = False

    @model_validator(mode="after")
    def _exclusive(self) -> ShapConfig:
        if self.target_stderr is not None and not (self.target_stderr > 0 and self.target_stderr < float("inf")):
            raise ValueError(f"target_stderr: expected a positive number, got {self.target_stderr!r}")
        if self.baseline is not None and self.num_clusters is not None:
            raise ValueError("baseline and num_clusters cannot both be given")
        if isinstance(self.baseline, list) and not self.baseline:
            raise ValueError("baseline: expected at least one row")
        if self.features_to_explain is not None and (self.text_config or self.image_config):
            raise ValueError("features_to_explain is for tabular data only, not with text_config or image_config")
        return self


class PdpConfig(ClosedModel):
    grid_resolution: PositiveInt
    features: list[NameOrIndex] | None = None
    top_k_features: PositiveInt = 10


def _report_file_name(value: Any) -> Any:
    """A report name is a plain file name: reports go beside analysis.json, never elsewhere."""
    if isinstance(value, str) and (
        not value.strip() or "/" in value or "\\" in value or value in (".", "..") or ".." in value or "\0" in value
    ):
        raise ValueError(f"expected a plain file name (no path separator, no '..'), got {value!r}")
    return value


class ReportConfig(ClosedModel):
    name: Annotated[StrictStr, BeforeValidator(_report_file_name)] = "report"
    title: StrictStr = "Analysis Report"


class AsymmetricShapleyValue(ClosedModel):
    direction: lower_choice("chronological", "anti_chronological", "bidirectional") = "chronological"  # type: ignore[valid-type]
    granularity: lower_choice("timewise", "fine_grained") = "timewise"  # type: ignore[valid-type]
    num_samples: PositiveInt | None = None
    baseline: StrictStr | dict[str, Any] | None = None


class Methods(ClosedModel):
    pre_training_bias: PreTrainingBias | None = None
    post_training_bias: PostTrainingBias | None = None
    shap: ShapConfig | None = None
    pdp: PdpConfig | None = None
    report: ReportConfig | None = None
    asymmetric_shapley_value: AsymmetricShapleyValue | None = Field(default=None)

    @model_validator(mode="after")
    def _pdp_needs_features_or_shap(self) -> Methods:
        if self.pdp is not None and self.pdp.features is None and self.shap is None:
            raise ValueError("pdp: features must be given when shap is not requested")
        return self
