"""report.ipynb: valid nbformat v4, standalone, and it executes top to bottom with nbclient."""

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from clarion.report import render_reports
from report_fixtures import write_output_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    root = write_output_dir(tmp_path_factory.mktemp("out"))
    (path,) = render_reports(root, formats=("ipynb",), title="Notebook <report>")
    # Move the whole output directory: the notebook must find analysis.json beside itself.
    moved = tmp_path_factory.mktemp("moved") / "run"
    shutil.copytree(root, moved)
    nb = nbformat.read(moved / path.name, as_version=4)
    nbformat.validate(nb)
    NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(moved)}}).execute()
    return nb


def _outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if kind in o.get("data", {})]


def test_runs_without_errors(executed):
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]["evalue"] if errors else ""


def test_draws_the_same_charts(executed):
    # 2 bias charts, 2 global SHAP charts, 6 local charts (3 rows x 2 labels), 2 PDP charts.
    assert len(_outputs(executed, "image/png")) == 12


def test_tables_and_readings(executed):
    html = "".join(o["data"]["text/html"] for o in _outputs(executed, "text/html"))
    assert "the facet gets positive predictions at 36% of the rate of the rest" in html
    assert "outside band" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "I loved" in html  # text attribution table


def test_standalone_and_escaped_title(executed):
    sources = "\n".join(c.source for c in executed.cells)
    assert "import clarion" not in sources and "from clarion" not in sources
    assert 'Path("analysis.json")' in sources
    assert executed.cells[0].source.startswith("# Notebook \\<report\\>")  # Markdown escapes: shows <report>
