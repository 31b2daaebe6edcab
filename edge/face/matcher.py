"""1:N face matching: vectorised distances to every template, best person, margin to the next.

Thresholds (rule PRIV-1 is about storage; this is about not accepting strangers):

dlib's ResNet model (the one face_recognition wraps) reaches 99.38 % on LFW *pairs* at a
Euclidean distance of 0.6; that is a 1:1 figure, wrong on about 1 pair in 160. A terminal
compares each face with every enrolled person (1:N), so the chance that a stranger falls under
the threshold for *someone* grows roughly N-fold: at 0.6 and a few dozen staff, a stranger
would be accepted a noticeable fraction of the time. Davis King says as much for large
galleries (dlib issue #1944: at 0.6 "thousands of dissimilar faces" in 30 M, impostors as close
as 0.48; dlib issue #1502: an impostor at 0.43 in 13,000 people), and the model is known to
cluster East-Asian faces more tightly (dlib issue #1407), which is exactly this product's
population. Genuine pairs of good frontal photos sit mostly between 0.25 and 0.45.

So the defaults are: accept only at distance <= 0.45 (half-way through the gap the literature
reports, well under the impostor tail at hall-sized galleries), and only when the second-best
*person* is at least 0.06 further away (an ambiguous face is rejected, never guessed). The
terminal adds a k-of-n vote over frames on top. Both numbers are settings; they were chosen
from the figures above, not fitted to the shared test photos. `hallkeeper face evaluate`
checks them on every real face the project has (edge/face/evaluate.py): 44 genuine pairs
(0.12-0.47), 196 impostor pairs (0.70-1.11); at 0.45 one comparison falsely rejects 2 of 44
pairs and accepts no impostor; 1:N with all of a person's photos enrolled finds 22 of 22 faces
(one photo enrolled: 21 of 22), and no stranger is accepted (0 of 27). The margin between the
farthest genuine and the closest impostor here (0.47 vs 0.70) is far wider than at hall scale,
so these five people are no reason to loosen 0.45; enrolling several templates is what closes
the false rejections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from models.devices.face_terminal import DEFAULT_MARGIN, DEFAULT_THRESHOLD  # the config defaults
from models.face import ENCODING_DIM

Templates = (
    Sequence[Sequence[float]] | Sequence[npt.NDArray[np.floating]] | npt.NDArray[np.floating]
)
"""One person's templates: rows of 128 floats."""


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome of matching one face encoding against the gallery."""

    staff_id: str | None
    distance: float | None
    second_distance: float | None
    reason: Literal["match", "no_match", "ambiguous", "empty_gallery"]

    @property
    def accepted(self) -> bool:
        """True when the face is recognised as `staff_id`."""
        return self.staff_id is not None


class Matcher:
    """An immutable gallery matrix (templates grouped by person) with a 1:N search."""

    def __init__(
        self,
        templates: Mapping[str, Templates],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        if not 0 < threshold < 2 or not 0 <= margin < 2:
            raise ValueError("threshold must be in (0, 2) and margin in [0, 2)")
        self.threshold = threshold
        self.margin = margin
        ids: list[str] = []
        blocks: list[npt.NDArray[np.float32]] = []
        starts: list[int] = []
        row = 0
        for staff_id in sorted(templates):
            block = np.asarray(templates[staff_id], dtype=np.float32).reshape(-1, ENCODING_DIM)
            if len(block) == 0:
                continue
            ids.append(staff_id)
            starts.append(row)
            blocks.append(block)
            row += len(block)
        self.staff_ids: tuple[str, ...] = tuple(ids)
        self._starts = np.asarray(starts, dtype=np.intp)
        self._matrix = (
            np.concatenate(blocks) if blocks else np.zeros((0, ENCODING_DIM), dtype=np.float32)
        )
        self._sq_norms = np.einsum("ij,ij->i", self._matrix, self._matrix)

    @property
    def people(self) -> int:
        """How many people the gallery holds."""
        return len(self.staff_ids)

    @property
    def templates(self) -> int:
        """How many templates the gallery holds."""
        return int(self._matrix.shape[0])

    def person_distances(
        self, encoding: Sequence[float] | npt.NDArray[np.floating]
    ) -> npt.NDArray[np.float32]:
        """Each person's distance: the smallest Euclidean distance to any of their templates."""
        q = np.asarray(encoding, dtype=np.float32).reshape(ENCODING_DIM)
        # |g - q|^2 = |g|^2 + |q|^2 - 2 g.q : one matrix-vector product over the whole gallery
        sq = self._sq_norms + np.float32(q @ q) - 2.0 * (self._matrix @ q)
        per_person = np.minimum.reduceat(sq, self._starts)
        return np.sqrt(np.maximum(per_person, 0.0)).astype(np.float32, copy=False)

    def match(self, encoding: Sequence[float] | npt.NDArray[np.floating]) -> Match:
        """Best person if under the threshold and clear of the second-best by the margin."""
        if not self.staff_ids:
            return Match(None, None, None, "empty_gallery")
        d = self.person_distances(encoding)
        if len(d) == 1:
            best_i, second = 0, None
        else:
            two = np.argpartition(d, 1)[:2]
            best_i, second_i = (
                (int(two[0]), int(two[1])) if d[two[0]] <= d[two[1]] else (int(two[1]), int(two[0]))
            )
            second = float(d[second_i])
        best = float(d[best_i])
        if best > self.threshold:
            return Match(None, best, second, "no_match")
        if second is not None and second - best < self.margin:
            return Match(None, best, second, "ambiguous")
        return Match(self.staff_ids[best_i], best, second, "match")


_blas_limited = False


def limit_blas_threads() -> None:
    """Run BLAS single-threaded in this process (once): a 1:N match is one matrix-vector
    product, bound by memory bandwidth; BLAS worker threads only add wake-up latency and, on
    a busy 2-4 core terminal, contention (measured: ~20 ms vs ~1.5 ms at 50,000 templates)."""
    global _blas_limited
    if not _blas_limited:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
        _blas_limited = True
