"""dlib's face models (the face_recognition_models files), each loaded the first time it is used.

face_recognition's `api` module loads all five of its models when imported (HOG detector, the
5- and 68-point shape predictors, the CNN detector, the ResNet encoder), and the
face_recognition_models package imports pkg_resources to find its files: measured here, the
68-point predictor alone is 70 MB resident, pkg_resources 10 MB, the CNN detector (never used)
1 MB. A terminal needs the 5-point predictor and the encoder for every face, the 68-point
predictor only when it asks a challenge, and HOG only in a hall that chooses it; so each model
is loaded here on first use, from the files found without importing either package.

Callers hold `models.face.DLIB_LOCK` (edge/face/encode.py), which also makes the first load
happen once. In a process that has imported face_recognition already (the hub's photo
enrollment, the demo), its loaded models are reused rather than loaded twice.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import dlib


@cache
def models_dir() -> Path:
    """The folder of the face_recognition_models package's .dat files (not imported)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("face_recognition_models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _model(fr_name: str, load: Callable[[], Any]) -> Any:
    """face_recognition's instance `fr_name` if that package is loaded already, else `load()`."""
    loaded = getattr(sys.modules.get("face_recognition.api"), fr_name, None)
    return loaded if loaded is not None else load()


@cache
def hog_detector() -> Any:
    """dlib's HOG frontal face detector."""
    return _model("face_detector", dlib.get_frontal_face_detector)


@cache
def shape_predictor_5() -> Any:
    """The 5-point predictor: the alignment the encoder uses (face_recognition's default)."""
    return _model(
        "pose_predictor_5_point",
        lambda: dlib.shape_predictor(str(models_dir() / "shape_predictor_5_face_landmarks.dat")),
    )


@cache
def shape_predictor_68() -> Any:
    """The 68-point predictor (the challenge's eyes, lips and pose)."""
    return _model(
        "pose_predictor_68_point",
        lambda: dlib.shape_predictor(str(models_dir() / "shape_predictor_68_face_landmarks.dat")),
    )


@cache
def face_encoder() -> Any:
    """dlib's ResNet giving the 128-d encoding."""
    return _model(
        "face_encoder",
        lambda: dlib.face_recognition_model_v1(
            str(models_dir() / "dlib_face_recognition_resnet_model_v1.dat")
        ),
    )
