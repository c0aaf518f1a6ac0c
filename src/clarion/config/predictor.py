"""The ``predictor`` section: Clarify's keys plus clarion's documented additions.

Clarify keys (SageMaker names, kept for compatibility): endpoint_name, endpoint_name_prefix, model_name,
target_model, instance_type, initial_instance_count, accelerator_type, content_type, accept_type,
label, probability, label_headers, content_template, record_template, custom_attributes,
time_series_predictor_config.

clarion additions (how to reach a model outside SageMaker):
- ``endpoint_url``: base URL of a running server speaking the SageMaker container contract
  (``POST {endpoint_url}/invocations``, ``GET {endpoint_url}/ping``).
- ``model_uri``: a model file (joblib/pickle scikit-learn estimator or Pipeline, XGBoost ``.json``/``.ubj``,
  LightGBM ``.txt``) called in-process, or served by a shadow endpoint when ``shadow`` is true.
- ``model_callable``: ``package.module:function`` taking a DataFrame and returning predictions.
- ``serve_command``: a command (list of arguments; ``{port}`` is replaced by a free port) that starts a
  server speaking the container contract; clarion starts it, uses it and stops it (shadow endpoint).
- ``shadow``: serve ``model_uri`` with ``clarion serve`` on 127.0.0.1 instead of calling it in-process.
- Transport policy: ``max_payload_mb`` (default 5), ``max_records_per_request``, ``max_concurrency``
  (default 4), ``timeout_seconds`` (default 60), ``max_retries`` (default 5; 0 = no retry).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool, StrictStr, model_validator

from clarion.config._base import ClosedModel, NameOrIndex, PositiveInt, StrictNumber, lower_choice


def _non_negative_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return value


NonNegativeInt = Annotated[int, BeforeValidator(_non_negative_int)]

CONTENT_TYPES = (
    "text/csv",
    "application/jsonlines",
    "application/json",
    "image/jpeg",
    "image/jpg",  # accepted by the SDK's ModelConfig (its schema refuses it); read as image/jpeg
    "image/png",
    "application/x-npy",
)
ACCEPT_TYPES = ("text/csv", "application/jsonlines", "application/json")


class TimeSeriesPredictorConfig(ClosedModel):
    forecast: StrictStr


class PredictorConfig(ClosedModel):
    endpoint_name: StrictStr | None = None
    endpoint_name_prefix: StrictStr | None = None
    model_name: StrictStr | None = None
    target_model: StrictStr | None = None
    instance_type: StrictStr | None = None
    initial_instance_count: PositiveInt | None = None
    accelerator_type: StrictStr | None = None
    content_type: lower_choice(*CONTENT_TYPES) | None = None  # type: ignore[valid-type]
    accept_type: lower_choice(*ACCEPT_TYPES) | None = None  # type: ignore[valid-type]
    label: NameOrIndex | None = None
    probability: NameOrIndex | None = None
    label_headers: list[NameOrIndex] | None = None
    content_template: StrictStr | dict[str, StrictStr] | None = None
    record_template: StrictStr | None = None
    custom_attributes: StrictStr | None = None
    time_series_predictor_config: TimeSeriesPredictorConfig | None = None
    # clarion additions
    endpoint_url: StrictStr | None = None
    model_uri: StrictStr | None = None
    model_callable: StrictStr | None = None
    serve_command: list[StrictStr] | None = None
    shadow: StrictBool = False
    max_payload_mb: StrictNumber = 5.0
    max_records_per_request: PositiveInt | None = None
    max_concurrency: PositiveInt = 4
    timeout_seconds: StrictNumber = 60.0
    max_retries: NonNegativeInt = 5

    @model_validator(mode="after")
    def _checks(self) -> PredictorConfig:
        if self.custom_attributes is not None and (
            len(self.custom_attributes) > 1024 or not all(32 < ord(c) < 127 for c in self.custom_attributes)
        ):
            raise ValueError("custom_attributes: expected at most 1024 visible ASCII characters")
        if self.max_payload_mb <= 0 or self.timeout_seconds <= 0:
            raise ValueError("max_payload_mb and timeout_seconds must be positive")
        sources = [self.endpoint_url, self.model_uri, self.model_callable, self.serve_command]
        if sum(s is not None for s in sources) > 1:
            raise ValueError("give only one of endpoint_url, model_uri, model_callable, serve_command")
        if self.content_type == "application/jsonlines" and self.content_template is not None:
            template = self.content_template if isinstance(self.content_template, str) else str(self.content_template)
            if "$features" not in template:
                raise ValueError("content_template: must contain the placeholder $features for application/jsonlines")
        return self

    def describe(self) -> dict[str, Any]:
        """A summary safe to log or show in a report (no custom attributes, no templates)."""
        keep = (
            "endpoint_name",
            "model_name",
            "endpoint_url",
            "model_uri",
            "model_callable",
            "content_type",
            "accept_type",
        )
        return {k: getattr(self, k) for k in keep if getattr(self, k) is not None}
