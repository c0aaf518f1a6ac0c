"""Explainability config classes of ``sagemaker.clarify``: SHAPConfig, PDPConfig, TextConfig, ImageConfig,
AsymmetricShapleyValueConfig. Each writes its ``methods`` entry exactly as the SDK v2 does.
"""

from __future__ import annotations

import copy
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from clarion.api._common import ArgumentError, put
from clarion.config.methods import TEXT_LANGUAGES

logger = logging.getLogger(__name__)

AGG_METHODS = ("mean_abs", "median", "mean_sq")
TEXT_GRANULARITIES = ("token", "sentence", "paragraph")
IMAGE_MODEL_TYPES = ("OBJECT_DETECTION", "IMAGE_CLASSIFICATION")
ASYMMETRIC_DIRECTIONS = ("chronological", "anti_chronological", "bidirectional")
ASYMMETRIC_GRANULARITIES = ("timewise", "fine_grained")


class ExplainabilityConfig(ABC):
    """An explainability method: ``get_explainability_config()`` returns ``{method_name: settings}``."""

    @abstractmethod
    def get_explainability_config(self) -> dict[str, Any]:
        """The method's entry of ``methods``."""


@dataclass(frozen=True)
class PDPConfig(ExplainabilityConfig):
    """Partial dependence: ``{"pdp": {"grid_resolution", "top_k_features", "features"?}}``.

    ``features`` may be omitted only together with a SHAPConfig (the top ``top_k_features`` by SHAP are used).
    """

    features: list[str | int] | None = None
    grid_resolution: int = 15
    top_k_features: int = 10

    def get_explainability_config(self) -> dict[str, Any]:
        pdp: dict[str, Any] = {"grid_resolution": self.grid_resolution, "top_k_features": self.top_k_features}
        put(self.features, "features", pdp)
        return {"pdp": pdp}


@dataclass(frozen=True)
class TextConfig:
    """Text features: ``granularity`` (token, sentence, paragraph) and ``language`` (a name or code of
    Clarify's list, e.g. ``"english"`` or ``"en"``; checked case-sensitively, as the SDK does).

    ``max_top_tokens`` is a clarion addition (the schema has it, the SDK class does not): written when given.
    """

    granularity: str
    language: str
    max_top_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.granularity not in TEXT_GRANULARITIES:
            raise ArgumentError(
                f"TextConfig.granularity: expected one of {', '.join(TEXT_GRANULARITIES)}, got {self.granularity!r}"
            )
        if self.language not in TEXT_LANGUAGES and self.language not in TEXT_LANGUAGES.values():
            raise ArgumentError(f"TextConfig.language: unknown language {self.language!r}; e.g. 'english' or 'en'")

    def get_text_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"granularity": self.granularity, "language": self.language}
        put(self.max_top_tokens, "max_top_tokens", config)
        return config


@dataclass(frozen=True)
class ImageConfig:
    """Image features: ``model_type`` ``"IMAGE_CLASSIFICATION"`` or ``"OBJECT_DETECTION"``; the other settings
    are written only when given (the job's defaults: 20 segments, compactness 5, ``"segmentation"``,
    3 objects, IoU 0.5, context 1.0).
    """

    model_type: str
    num_segments: int | None = None
    feature_extraction_method: str | None = None
    segment_compactness: float | None = None
    max_objects: int | None = None
    iou_threshold: float | None = None
    context: float | None = None

    def __post_init__(self) -> None:
        if self.model_type not in IMAGE_MODEL_TYPES:
            raise ArgumentError(
                f"ImageConfig.model_type: expected OBJECT_DETECTION or IMAGE_CLASSIFICATION, got {self.model_type!r}"
            )

    def get_image_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"model_type": self.model_type}
        for name in (
            "num_segments",
            "feature_extraction_method",
            "segment_compactness",
            "max_objects",
            "iou_threshold",
            "context",
        ):
            put(getattr(self, name), name, config)
        return config


@dataclass(frozen=True)
class SHAPConfig(ExplainabilityConfig):
    """Kernel SHAP: ``{"shap": {"use_logit", "save_local_shap_values", ...given settings}}``.

    ``baseline``: a URI (local path or fsspec URI for clarion), a list of rows, or a dict; or None to let
    the job cluster the input (``num_clusters`` rows; not together with ``baseline``). ``agg_method``:
    ``mean_abs`` (job default), ``median`` or ``mean_sq``. ``features_to_explain`` is for tabular data only.
    """

    baseline: str | list[Any] | dict[str, Any] | None = None
    num_samples: int | None = None
    agg_method: str | None = None
    use_logit: bool = False
    save_local_shap_values: bool = True
    seed: int | None = None
    num_clusters: int | None = None
    text_config: TextConfig | None = None
    image_config: ImageConfig | None = None
    features_to_explain: list[str | int] | None = None

    def __post_init__(self) -> None:
        if self.agg_method is not None and self.agg_method not in AGG_METHODS:
            raise ArgumentError(
                f"SHAPConfig.agg_method: expected one of {', '.join(AGG_METHODS)}, got {self.agg_method!r}"
            )
        if self.num_clusters is not None and self.baseline is not None:
            raise ArgumentError("SHAPConfig: baseline and num_clusters cannot both be given")
        if self.features_to_explain is not None and (self.text_config is not None or self.image_config is not None):
            raise ArgumentError("SHAPConfig.features_to_explain: not supported with text_config or image_config")
        if self.text_config is not None and not self.save_local_shap_values:
            logger.warning(
                "Global aggregation of text features is reported for top tokens only; "
                "set save_local_shap_values=True to keep the local text explanations."
            )

    def get_explainability_config(self) -> dict[str, Any]:
        shap: dict[str, Any] = {"use_logit": self.use_logit, "save_local_shap_values": self.save_local_shap_values}
        put(self.baseline, "baseline", shap)
        put(self.num_samples, "num_samples", shap)
        put(self.agg_method, "agg_method", shap)
        put(self.seed, "seed", shap)
        put(self.num_clusters, "num_clusters", shap)
        if self.text_config is not None:
            shap["text_config"] = self.text_config.get_text_config()
        if self.image_config is not None:
            shap["image_config"] = self.image_config.get_image_config()
        put(self.features_to_explain, "features_to_explain", shap)
        return {"shap": shap}


@dataclass(frozen=True)
class AsymmetricShapleyValueConfig(ExplainabilityConfig):
    """Time-series explainability by asymmetric Shapley values (see clarion.explain.asymmetric).

    ``fine_grained`` needs an int ``num_samples`` and the ``chronological`` direction; ``timewise`` takes no
    ``num_samples``. A dict ``baseline`` takes ``"zero"`` or ``"mean"`` for the temporal series.
    """

    direction: Literal["chronological", "anti_chronological", "bidirectional"] = "chronological"
    granularity: Literal["timewise", "fine_grained"] = "timewise"
    num_samples: int | None = None
    baseline: str | dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.direction not in ASYMMETRIC_DIRECTIONS:
            raise ArgumentError(
                f"AsymmetricShapleyValueConfig.direction: expected one of {', '.join(ASYMMETRIC_DIRECTIONS)}"
            )
        if self.granularity not in ASYMMETRIC_GRANULARITIES:
            raise ArgumentError(
                f"AsymmetricShapleyValueConfig.granularity: expected one of {', '.join(ASYMMETRIC_GRANULARITIES)}"
            )
        if self.granularity == "fine_grained":
            if not isinstance(self.num_samples, int):
                raise ArgumentError("AsymmetricShapleyValueConfig.num_samples: an integer is required for fine_grained")
            if self.direction != "chronological":
                raise ArgumentError(
                    f"AsymmetricShapleyValueConfig: {self.direction} is not supported with fine_grained"
                )
        elif self.num_samples:
            raise ArgumentError("AsymmetricShapleyValueConfig.num_samples: only used with fine_grained granularity")
        if isinstance(self.baseline, dict):
            for key in ("target_time_series", "related_time_series"):
                if key in self.baseline and self.baseline[key] not in ("zero", "mean"):
                    raise ArgumentError(
                        f"AsymmetricShapleyValueConfig.baseline.{key}: expected 'zero' or 'mean',"
                        f" got {self.baseline[key]!r}"
                    )

    def get_explainability_config(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"direction": self.direction, "granularity": self.granularity}
        put(self.num_samples, "num_samples", settings)
        put(self.baseline, "baseline", settings)
        return {"asymmetric_shapley_value": copy.deepcopy(settings)}
