#!/usr/bin/env bash
# Set up clarion in .venv and run the main example: the Clarify bring-your-own-container workflow on UCI Adult
# (examples/adult_byoc): train a LogisticRegression, serve it with `clarion serve`, run pre- and post-training
# bias and SHAP against that endpoint through the sagemaker.clarify-style Python API, write the model cards.
# Full size (15,060 test rows, SHAP num_samples 15 as in the notebook): well under 3 minutes on 2 cores.
# Results: out/adult/bias/ and out/adult/explainability/ (analysis.json, report.{html,pdf,ipynb}, model_card.md).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup_venv.sh serve,report
.venv/bin/python examples/adult_byoc/run.py --output out/adult "$@"
echo "Open out/adult/bias/report.html and out/adult/explainability/report.html in a browser."
