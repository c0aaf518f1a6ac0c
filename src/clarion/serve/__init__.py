"""``clarion serve``: the SageMaker container contract (``GET /ping``, ``POST /invocations``) for any model file."""

from __future__ import annotations

from clarion.serve.app import create_app


def run_server(model_path: str, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve ``model_path`` on ``host:port`` until interrupted."""
    import uvicorn

    app = create_app(model_path)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


__all__ = ["create_app", "run_server"]
