"""pytest set-up for the micro-benchmarks in bench/ (outside the test suite: testpaths is tests/ only).

Puts tests/ on ``sys.path`` so the benchmarks can read the real-text corpus (``tests/corpus.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
