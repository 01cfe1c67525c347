"""``python -m tests.independent``: runs the independent test bed and prints its figures and disagreements."""

import tempfile
from pathlib import Path

from tests.independent.bed import evaluate, render

with tempfile.TemporaryDirectory(prefix="vigia-independent-") as tmp:
    print(render(evaluate(Path(tmp))))
