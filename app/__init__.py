"""The KSOPN registry: anti-drug cooperation of the CSTO member states."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
