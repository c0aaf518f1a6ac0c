"""The one exception family of clarion.

    ClarionError                 anything clarion reports to a user
    ├── ConfigError              the analysis config is invalid (message starts with the key path)
    ├── DataError                a dataset cannot be read or does not fit the config (names file and line)
    ├── PredictorError           the model could not be called or answered wrongly (names HTTP status)
    ├── NotSupportedError        a valid config asks for something clarion does not run yet
    └── OutputError              results could not be written

The CLI turns every ClarionError into one line on stderr and a non-zero exit code.
"""

from __future__ import annotations


class ClarionError(Exception):
    """Base class: an error a user can act on; its message is one readable line."""


class ConfigError(ClarionError):
    """The analysis config is invalid, e.g. ``methods.shap.num_samples: expected a positive integer, got -3``."""


class DataError(ClarionError):
    """A dataset cannot be read or does not match the config, e.g. ``data.csv:1042: expected 15 columns, got 14``."""


class PredictorError(ClarionError):
    """The model could not be called, or its answer could not be used."""


class NotSupportedError(ClarionError):
    """The config is valid but asks for a capability clarion does not provide yet."""


class OutputError(ClarionError):
    """Results could not be written to the output location."""
