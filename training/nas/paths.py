"""Puts training/ on sys.path, so the nas scripts import the training modules (losses, export, ...) and
`nas.*` whether they run as scripts (python3 training/nas/x.py) or are imported from training/."""

import os
import sys

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TRAINING)
if TRAINING not in sys.path:
    sys.path.insert(0, TRAINING)
