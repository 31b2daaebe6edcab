"""Types the face modules share, with no heavy import (no dlib models, no OpenCV)."""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

Box = tuple[int, int, int, int]
"""A face box as (top, right, bottom, left) in full-image pixels (face_recognition's order)."""
Image = npt.NDArray[Any]
