"""SageMaker models through boto3 (``pip install 'clarion[aws]'``), with the standard AWS credential and region chain.

- ``predictor.endpoint_name``: ``sagemaker-runtime`` ``InvokeEndpoint`` on the existing endpoint, under the
  same transport policy and codecs as HTTP models (``remote``). ``ContentType``/``Accept``,
  ``CustomAttributes`` and ``TargetModel`` are passed through; botocore's own retries are off (clarion's
  policy retries 429, 5xx, throttling and timeouts); ``timeout_seconds`` bounds each read and the body as a whole.
- ``predictor.model_name``: a shadow endpoint, as Clarify makes one: an endpoint config (one variant
  ``AllTraffic`` with ``instance_type``, ``initial_instance_count``, ``accelerator_type``) and an endpoint,
  both named ``{endpoint_name_prefix or "sm-clarify"}-{UTC time}-{random}``; clarion waits until the endpoint
  is InService, uses it, and deletes both on exit, on error and on Ctrl-C.

Endpoints for tests or private networks come from the AWS chain too (``AWS_ENDPOINT_URL_SAGEMAKER``,
``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``).
"""

from __future__ import annotations

import secrets
import sys
import time
from typing import Any

from clarion.config.predictor import PredictorConfig
from clarion.errors import ConfigError, PredictorError
from clarion.predictors.codecs import RequestCodec, ResponseCodec, clip
from clarion.predictors.remote import DEFAULT_SETTINGS, RemotePredictor, Retryable, TransportSettings
from clarion.progress import progress_bar

try:  # the optional extra clarion[aws]
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:  # pragma: no cover - exercised where boto3 is absent
    boto3 = None

DEFAULT_PREFIX = "sm-clarify"
VARIANT = "AllTraffic"
RETRY_CODES = frozenset(
    {
        "ThrottlingException",
        "ModelNotReadyException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalDependencyException",
    }
)
INSTALL_HINT = "install clarion[aws] (pip install 'clarion[aws]'), or pass --model PATH_OR_URL to use a local model"


def boto3_available() -> bool:
    return boto3 is not None


def _require_boto3(key: str) -> None:
    if boto3 is None:
        raise ConfigError(f"{key}: calling SageMaker needs boto3: {INSTALL_HINT}")


def aws_problem(key: str) -> str | None:
    """Why SageMaker cannot be called from here (no boto3, region or credentials), with the fix; None when it can."""
    if boto3 is None:
        return f"{key}: calling SageMaker needs boto3: {INSTALL_HINT}"
    session = boto3.session.Session()
    if session.region_name is None:
        return (
            f"{key}: no AWS region: set AWS_REGION (or a profile's region), or pass --model PATH_OR_URL to use a "
            "local model"
        )
    if session.get_credentials() is None:
        return (
            f"{key}: no AWS credentials found (environment, profile, SSO or instance role): configure them, or pass "
            "--model PATH_OR_URL to use a local model"
        )
    return None


def _client(service: str, key: str, settings: TransportSettings) -> Any:
    _require_boto3(key)
    config = botocore.config.Config(
        connect_timeout=min(settings.timeout_seconds, 60.0),
        read_timeout=settings.timeout_seconds,
        retries={"total_max_attempts": 1},
        max_pool_connections=max(settings.max_concurrency, 1),
    )
    try:
        return boto3.session.Session().client(service, config=config)
    except botocore.exceptions.NoRegionError:
        raise PredictorError(f"{key}: no AWS region: set AWS_REGION (or a profile's region)") from None


def _error(exc: Any) -> tuple[int, str, str]:
    """(HTTP status, error code, short message) of a botocore ClientError."""
    response = exc.response
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    error = response.get("Error", {})
    return status, str(error.get("Code", "")), clip(str(error.get("Message", "")))


class RuntimeEndpoint:
    """``InvokeEndpoint`` on one SageMaker endpoint; one attempt per ``invoke``."""

    def __init__(self, name: str, settings: TransportSettings = DEFAULT_SETTINGS) -> None:
        self.name = name
        self.settings = settings
        self._client: Any = None

    @property
    def where(self) -> str:
        return f"InvokeEndpoint {self.name}"

    def open(self) -> None:
        if self._client is None:
            self._client = _client("sagemaker-runtime", "predictor.endpoint_name", self.settings)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def invoke(self, body: bytes, content_type: str, accept: str) -> bytes:
        """One InvokeEndpoint call; the whole answer must arrive within ``timeout_seconds``."""
        self.open()
        request: dict[str, Any] = {"EndpointName": self.name, "Body": body, "ContentType": content_type}
        request["Accept"] = accept
        if self.settings.custom_attributes is not None:
            request["CustomAttributes"] = self.settings.custom_attributes
        if self.settings.target_model is not None:
            request["TargetModel"] = self.settings.target_model
        seconds = self.settings.timeout_seconds
        deadline = time.monotonic() + seconds
        try:
            response = self._client.invoke_endpoint(**request)
            chunks = []
            for chunk in response["Body"].iter_chunks(64 * 1024):
                if time.monotonic() > deadline:
                    response["Body"].close()
                    raise Retryable(f"no complete answer within {seconds:g} s")
                chunks.append(chunk)
            return b"".join(chunks)
        except botocore.exceptions.ClientError as exc:
            status, code, message = _error(exc)
            problem = f"{code or 'error'} (HTTP {status})" + (f": {message}" if message else "")
            if code in RETRY_CODES or status == 429 or status >= 500:
                raise Retryable(problem) from None
            raise PredictorError(problem) from None
        except (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError):
            raise Retryable(f"no complete answer within {seconds:g} s") from None
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError) as exc:
            raise Retryable(f"connection failed ({type(exc).__name__})") from None
        except botocore.exceptions.NoCredentialsError:
            raise PredictorError(
                "no AWS credentials found (environment, profile, SSO or instance role): configure them, or pass "
                "--model PATH_OR_URL to use a local model"
            ) from None


class SageMakerPredictor(RemotePredictor):
    """A Predictor calling an existing SageMaker endpoint; use it as a context manager."""

    def __init__(
        self,
        endpoint_name: str,
        request_codec: RequestCodec,
        response_codec: ResponseCodec,
        settings: TransportSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.runtime = RuntimeEndpoint(endpoint_name, settings)
        super().__init__(self.runtime, request_codec, response_codec, settings)


def shadow_name(prefix: str | None) -> str:
    """``{prefix}-{UTC yyyymmddHHMMSS}-{6 hex}``, at most 63 characters (SageMaker's limit)."""
    stem = (prefix or DEFAULT_PREFIX)[:40]
    return f"{stem}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


class ShadowSageMakerEndpoint:
    """An endpoint created from a SageMaker model for one run; ``start`` returns its name, ``stop`` deletes it."""

    def __init__(
        self,
        model_name: str,
        *,
        instance_type: str,
        instance_count: int,
        accelerator_type: str | None = None,
        prefix: str | None = None,
        settings: TransportSettings = DEFAULT_SETTINGS,
        poll_seconds: float = 15.0,
        start_timeout: float = 3600.0,
    ) -> None:
        self.model_name = model_name
        self.instance_type = instance_type
        self.instance_count = instance_count
        self.accelerator_type = accelerator_type
        self.prefix = prefix
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.start_timeout = start_timeout
        self.name: str | None = None
        self._client: Any = None
        self._made: list[str] = []  # "config", "endpoint": what may exist and must be deleted

    def start(self) -> str:
        """Create the endpoint config and the endpoint, wait until InService; return the endpoint name."""
        self._client = _client("sagemaker", "predictor.model_name", self.settings)
        name = shadow_name(self.prefix)
        self.name = name
        variant: dict[str, Any] = {
            "VariantName": VARIANT,
            "ModelName": self.model_name,
            "InitialInstanceCount": self.instance_count,
            "InstanceType": self.instance_type,
        }
        if self.accelerator_type is not None:
            variant["AcceleratorType"] = self.accelerator_type
        try:
            self._made.append("config")
            self._client.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
            self._made.append("endpoint")
            self._client.create_endpoint(EndpointName=name, EndpointConfigName=name)
            self._wait_in_service(name)
        except botocore.exceptions.ClientError as exc:
            status, code, message = _error(exc)
            raise PredictorError(
                f"predictor.model_name: cannot create the shadow endpoint {name} from model {self.model_name!r}: "
                f"{code} (HTTP {status}): {message}"
            ) from None
        except botocore.exceptions.NoCredentialsError:
            raise PredictorError(
                "predictor.model_name: no AWS credentials found: configure them, or pass --model PATH_OR_URL"
            ) from None
        return name

    def _wait_in_service(self, name: str) -> None:
        deadline = time.monotonic() + self.start_timeout
        status = ""
        with progress_bar(f"Starting SageMaker endpoint {name}", total=None, unit="checks") as advance:
            while True:
                described = self._client.describe_endpoint(EndpointName=name)
                status = described.get("EndpointStatus", "")
                advance(1)
                if status == "InService":
                    return
                if status in ("Failed", "OutOfService", "Deleting"):
                    reason = clip(str(described.get("FailureReason", "")), 200)
                    raise PredictorError(f"predictor.model_name: the shadow endpoint {name} is {status}: {reason}")
                if time.monotonic() > deadline:
                    raise PredictorError(
                        f"predictor.model_name: the shadow endpoint {name} was not InService within "
                        f"{self.start_timeout:g} s (last status {status})"
                    )
                time.sleep(self.poll_seconds)

    def stop(self) -> None:
        """Delete the endpoint and its config (each only if clarion created it); never raises."""
        client, name, made = self._client, self.name, self._made
        self._made = []
        if client is None or name is None or not made:
            return
        left = []
        if "endpoint" in made and not self._delete_endpoint(client, name):
            left.append(f"endpoint {name}")
        if "config" in made and not self._delete(client.delete_endpoint_config, EndpointConfigName=name):
            left.append(f"endpoint config {name}")
        if left:
            print(
                f"clarion: warning: could not delete SageMaker {' and '.join(left)}; delete it yourself",
                file=sys.stderr,
            )

    def _delete_endpoint(self, client: Any, name: str) -> bool:
        """SageMaker deletes an endpoint only once it has settled: while it is Creating, wait and try again."""
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                client.delete_endpoint(EndpointName=name)
                return True
            except botocore.exceptions.ClientError as exc:
                _, code, message = _error(exc)
                if "Could not find" in message:
                    return True
                if code != "ValidationException" or time.monotonic() > deadline:
                    return False
            except (botocore.exceptions.BotoCoreError, OSError):
                return False
            time.sleep(self.poll_seconds)

    @staticmethod
    def _delete(call: Any, **name: str) -> bool:
        try:
            call(**name)
        except botocore.exceptions.ClientError as exc:
            _, code, message = _error(exc)
            return code == "ValidationException" and "Could not find" in message
        except (botocore.exceptions.BotoCoreError, OSError):
            return False
        return True


def shadow_endpoint(p: PredictorConfig, settings: TransportSettings) -> ShadowSageMakerEndpoint:
    """The shadow endpoint of ``predictor.model_name`` (not yet started), sized by the predictor section."""
    if p.instance_type is None or p.initial_instance_count is None:
        missing = "instance_type" if p.instance_type is None else "initial_instance_count"
        raise ConfigError(f"predictor.{missing}: required with predictor.model_name (the shadow endpoint's size)")
    return ShadowSageMakerEndpoint(
        str(p.model_name),
        instance_type=p.instance_type,
        instance_count=p.initial_instance_count,
        accelerator_type=p.accelerator_type,
        prefix=p.endpoint_name_prefix,
        settings=settings,
    )
