"""clarion: run SageMaker Clarify analysis configs anywhere: bias metrics, SHAP, PDP and reports."""

__version__ = "0.1.0"
