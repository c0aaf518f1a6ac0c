"""``python -m clarion.serve MODEL --port N --host 127.0.0.1``."""

from __future__ import annotations

import argparse
import sys

from clarion.errors import ClarionError
from clarion.serve import run_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="clarion serve", description="Serve a model file over the container contract."
    )
    parser.add_argument("model", help="model file: joblib/pickle scikit-learn, XGBoost .json/.ubj, LightGBM .txt")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        run_server(args.model, host=args.host, port=args.port)
    except ClarionError as exc:
        print(f"clarion serve: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
