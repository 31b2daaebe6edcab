"""Face clock-in terminal (人脸考勤机): camera -> pipeline -> punch (rule ATT-1).

A thread reads frames (edge/face/capture.py), runs the pipeline (edge/face/pipeline.py) and
reports: a Punch per recognised staff member (staff id, distance, liveness; the envelope
carries terminal and device time), and at most one UnknownFace per `unknown_interval_s` with
no identity and no image (rule PRIV-1). It keeps recognising against its last gallery while
the broker is away; facts wait in the runtime's outbox. Until it holds a gallery it does not
open the camera (there is nobody to recognise); the hub sends one when it reports version 0.

Commands: sync_gallery (open with the hall key, verify the checksum, swap in one transaction,
report GalleryHeld), erase_template (erase, report TemplateErased with the request's erasure id,
and GalleryHeld) and start_enrollment (take several templates with quality checks and send them
sealed, never a photo: edge/face/enroll.py). A confident punch may offer its encoding as a new
template (TemplateOffered, once a day a person). Feedback to the person goes through a small
hook: always logged, and optionally `display_command` is run with the text as its last argument
(a display/voice device's own tool): the challenge is said and shown there.

Backends: `real` opens `source` (a camera index or an RTSP/HTTP URL, default camera 0);
`simulated` plays a video file or a folder of frames (no source: the terminal idles).
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge.drivers.base import CommandOutcome, DeviceContext, Driver
from edge.face.challenge import ChallengeSettings, prompt
from edge.face.gallery import LocalGallery, gallery_matcher
from edge.face.matcher import Matcher, limit_blas_threads
from edge.face.motion import MotionSettings
from edge.face.vote import DedupWindow, RateLimiter
from models.commands import Command, EraseTemplate, StartEnrollment, SyncGallery
from models.devices.face_terminal import KIND, FaceTerminalConfig
from models.events import (
    EnrollmentCaptured,
    EnrollmentFailed,
    GalleryHeld,
    Punch,
    TemplateErased,
    TemplateOffered,
    UnknownFace,
)
from models.face import GalleryData, GalleryError, load_key, seal_templates

if TYPE_CHECKING:  # the vision stack (OpenCV, dlib models) loads only when a terminal starts
    from edge.face.enroll import Enrolling
    from edge.face.pipeline import Decision, FacePipeline, PipelineSettings

logger = logging.getLogger(__name__)

FAIL_TEXT = {
    "no_match": "未识别，请联系管理员",
    "ambiguous": "识别不确定，请正对摄像头重试",
    "liveness_failed": "活体检测未通过，请本人重试",
    "timeout": "未在规定时间内完成动作，请重试",
    "wrong_action": "动作与提示不符，请重试",
    "spoof": "活体检测未通过，请本人重试",
}
"""What the person is told when a face is refused, by reason (or liveness failure)."""


class Feedback:
    """Tells the person at the terminal what happened: log, and an optional display command."""

    def __init__(self, command: list[str] | None) -> None:
        self.command = command
        self.shown: list[str] = []

    def show(self, text: str) -> None:
        """Show and speak `text`."""
        self.shown.append(text)
        del self.shown[:-50]
        logger.info("terminal says: %s", text)
        if self.command:
            try:
                subprocess.Popen(
                    [*self.command, text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            except OSError as exc:
                logger.warning("display command failed: %s", exc)


def pipeline_settings(config: FaceTerminalConfig) -> PipelineSettings:
    """The pipeline's settings from a terminal's config."""
    from edge.face.liveness import LivenessSettings
    from edge.face.pipeline import PipelineSettings

    return PipelineSettings(
        detector=config.detector,
        detect_max_side=config.detect_max_side,
        min_face_px=config.min_face_px,
        vote_k=config.vote_k,
        vote_n=max(config.vote_n, config.vote_k),
        dedup_s=config.dedup_s,
        motion=MotionSettings(hold_s=config.motion_hold_s),
        liveness=LivenessSettings(
            mode=config.liveness,
            challenge=ChallengeSettings(
                count=config.challenge_actions, time_limit_s=config.challenge_time_s
            ),
            min_real=config.min_real,
        ),
    )


class FaceTerminalDriver(Driver[FaceTerminalConfig]):
    """The face clock-in terminal."""

    kind = KIND
    Config = FaceTerminalConfig

    def __init__(self, ctx: DeviceContext, config: FaceTerminalConfig) -> None:
        super().__init__(ctx, config)
        self.feedback = Feedback(config.display_command)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._gallery: LocalGallery | None = None
        self._data: GalleryData | None = None
        self._names: dict[str, str] = {}
        self._pipeline: FacePipeline | None = None
        self._unknown = RateLimiter(config.unknown_interval_s)
        self._dedup = DedupWindow(config.dedup_s)  # kept across restarts and config changes
        self._held = threading.Event()
        self._status = "ok"
        self.frames = 0
        self.asked: tuple[int, tuple[str, ...]] = (0, ())
        self._key: bytes | None = None
        self._enrolling: Enrolling | None = None
        self._offered: dict[str, float] = {}
        """The challenge being asked (a counter and the actions): what a person hears."""

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Open the gallery and the camera and start recognising."""
        cfg = self.config
        limit_blas_threads()
        path = Path(cfg.gallery_path.replace("{device}", self.ctx.device))
        try:
            self._key = load_key(cfg.key_env, cfg.key_file)
            self._gallery = LocalGallery(path, self._key)
            self._data = self._gallery.load()
        except GalleryError as exc:
            self._data = None
            self.ctx.fault("gallery_unusable", str(exc))
            self._status = "degraded"
        from edge.face.pipeline import FacePipeline

        if self._dedup.window_s != cfg.dedup_s:
            self._dedup = DedupWindow(cfg.dedup_s)
        self._pipeline = FacePipeline(self._matcher(), pipeline_settings(cfg), self._dedup)
        if self._data is not None:
            self._held.set()
        self._report_gallery()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"face-{self.ctx.device}", daemon=True
        )
        self._thread.start()

    def play(self, source: str) -> bool:
        """Play a recorded clip or performer now (a simulated person at the terminal); False
        while the camera thread is still busy with another."""
        if self._thread is not None and self._thread.is_alive():
            return False
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(source,), name=f"face-{self.ctx.device}", daemon=True
        )
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop the capture thread (safe to call twice)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._gallery is not None:
            self._gallery.close()

    def status(self) -> str:
        """ok, degraded (no gallery / camera trouble)."""
        return self._status

    def join(self, timeout: float | None = None) -> bool:
        """Wait for a finite source to end; True when the thread has finished."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # -- gallery ---------------------------------------------------------------------------
    def _matcher(self) -> Matcher:
        data = self._data
        self._names = data.names() if data else {}
        if data is None:
            return Matcher({}, threshold=self.config.threshold, margin=self.config.margin)
        return gallery_matcher(data, self.config.threshold, self.config.margin)

    def _report_gallery(self) -> None:
        data = self._data
        self.ctx.emit(
            GalleryHeld(
                version=data.version if data else 0,
                checksum=data.checksum if data else "",
                count=len(data.people) if data else 0,
            )
        )

    def handle(self, command: Command) -> CommandOutcome:
        """sync_gallery, erase_template and start_enrollment."""
        body = command.body
        if self._gallery is None:
            return CommandOutcome(False, "no hall key: the gallery cannot be opened")
        if isinstance(body, SyncGallery):
            try:
                data = self._gallery.replace(body.version, body.checksum, body.blob, body.keys)
            except GalleryError as exc:
                return CommandOutcome(False, str(exc))
            self._swap(data)
            self.ctx.fault("gallery_unusable", "gallery replaced", active=False)
            self._status = "ok"
            self._report_gallery()
            return CommandOutcome(True, f"gallery version {data.version} held")
        if isinstance(body, EraseTemplate):
            try:
                held = self._gallery.erase(body.staff_id)
            except GalleryError as exc:
                return CommandOutcome(False, str(exc))
            self._swap(held)
            self.ctx.emit(
                TemplateErased(
                    staff_id=body.staff_id,
                    gallery_version=body.gallery_version,
                    erasure_id=body.erasure_id,
                )
            )
            self._report_gallery()
            return CommandOutcome(True, f"template of {body.staff_id} erased")
        if isinstance(body, StartEnrollment):
            from edge.face.enroll import Enrolling, EnrollmentSession, EnrollQuality

            with self._lock:
                self._enrolling = Enrolling(
                    body.staff_id,
                    body.enrollment_id,
                    body.token,
                    body.expires_at,
                    EnrollmentSession(body.templates, EnrollQuality(min_real=self.config.min_real)),
                    self.config.enroll_time_s,
                )
            self.feedback.show(f"{body.name} 人脸登记开始")
            self._held.set()  # the camera opens even before the hall has a gallery
            return CommandOutcome(True, f"enrollment of {body.staff_id} started")
        return super().handle(command)

    def _swap(self, data: GalleryData | None) -> None:
        with self._lock:
            self._data = data
            if self._pipeline is not None:
                self._pipeline.set_matcher(self._matcher())
        if data is not None:
            self._held.set()

    # -- recognition -----------------------------------------------------------------------
    def _run(self, played: str | None = None) -> None:
        from edge.face.capture import CaptureError

        cfg = self.config
        source: Any = played or (
            cfg.source if cfg.source is not None else ("0" if cfg.backend == "real" else None)
        )
        if source is None:
            logger.info("face terminal %s has no camera source; idle", self.ctx.device)
            return
        if not self._held.is_set():
            logger.info("face terminal %s waits for its gallery", self.ctx.device)
            self.feedback.show("未就绪：等待人脸库")
        while not self._held.wait(0.2):  # nothing to recognise against before a gallery
            if self._stop.is_set():
                return
        live = cfg.backend == "real" and played is None
        faulted = False
        while not self._stop.is_set():
            try:
                self._play(source)
                if faulted:
                    faulted = False
                    self._status = "ok"
                    self.ctx.fault("camera", "camera delivers frames again", active=False)
                if not live:
                    return  # a recorded clip or folder has ended
            except CaptureError as exc:
                if not faulted:
                    self._status, faulted = "fault", True
                    self.ctx.fault("camera", str(exc))  # rule DEV-4
                if not live:
                    return
            except Exception:
                logger.exception("face terminal %s stopped on an error", self.ctx.device)
                self._status = "fault"
                self.ctx.fault("face_pipeline", "recognition stopped on an internal error")
                return
            self._stop.wait(cfg.camera_retry_s)  # a live camera: try to reopen it

    def _play(self, source: Any) -> None:
        """Read frames until the source ends, fails (CaptureError) or the driver stops."""
        from edge.face.capture import open_source

        cfg = self.config
        frames = open_source(source, fps=cfg.fps, loop=cfg.loop, asked=lambda: self.asked)
        try:
            started = time.monotonic()
            first_t: float | None = None
            for frame in frames:
                if self._stop.is_set():
                    break
                if cfg.realtime and not frame.live:
                    first_t = frame.t if first_t is None else first_t
                    wait = (frame.t - first_t) - (time.monotonic() - started)
                    if wait > 0 and self._stop.wait(wait):
                        break
                with self._lock:
                    assert self._pipeline is not None
                    if self._enrolling is not None:
                        self._enroll(frame.image, frame.t)
                        self.frames += 1
                        continue
                    decision = self._pipeline.process(frame.image, frame.t)
                self.frames += 1
                self._act(decision, frame.t)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()  # releases the camera at once

    def _enroll(self, image: Any, t: float) -> None:
        """One frame of an enrollment (under the lock); no frame is kept (rule PRIV-1)."""
        from edge.face.enroll import FAILED_TEXT, PROMPT_ACTIONS

        e, pipeline = self._enrolling, self._pipeline
        assert e is not None and pipeline is not None and self._key is not None
        faces, real = pipeline.enrollment_view(image)
        say, outcome = e.step(image, faces, real, t, datetime.now(UTC))
        if say is not None:
            self.feedback.show(say)
            if say in PROMPT_ACTIONS:
                self.asked = (self.asked[0] + 1, (PROMPT_ACTIONS[say],))
        if outcome is None:
            return
        self._enrolling = None
        pipeline.reset()
        if outcome == "captured":
            self.ctx.emit(
                EnrollmentCaptured(
                    enrollment_id=e.enrollment_id,
                    staff_id=e.staff_id,
                    token=e.token,
                    templates=e.session.seal(self._key),
                    count=len(e.session.kept),
                    real_score=e.session.real_score(),
                )
            )
            self.feedback.show("人脸采集完成")
            return
        self.ctx.emit(
            EnrollmentFailed(
                enrollment_id=e.enrollment_id,
                staff_id=e.staff_id,
                reason=outcome,
                message=e.session.last_problem or "",
            )
        )
        self.feedback.show(FAILED_TEXT.get(outcome, FAILED_TEXT["timeout"]))

    def _offer(self, d: Decision, t: float) -> None:
        """A confident punch may offer its encoding as a new template (once per interval)."""
        cfg = self.config
        if d.encoding is None or d.staff_id is None or self._key is None:
            return
        if d.distance is None or d.distance > cfg.refresh_below:
            return
        last = self._offered.get(d.staff_id)
        if last is not None and t - last < cfg.refresh_interval_s:
            return
        self._offered[d.staff_id] = t
        self.ctx.emit(
            TemplateOffered(
                staff_id=d.staff_id,
                template=seal_templates([d.encoding], self._key),
                distance=round(d.distance, 4),
            )
        )

    def _act(self, d: Decision, t: float) -> None:
        if d.kind == "challenge":
            self.asked = (self.asked[0] + 1, d.actions)
            self.feedback.show(prompt(d.actions))  # said and shown: the challenge
            return
        if d.kind == "punch" and d.staff_id is not None and d.liveness is not None:
            # rule ATT-1: the punch is the fact; its device time is the envelope's ts
            self.ctx.emit(
                Punch(
                    staff_id=d.staff_id, distance=round(d.distance or 0.0, 4), liveness=d.liveness
                )
            )
            self.feedback.show(f"{self._names.get(d.staff_id, d.staff_id)} 打卡成功")
            self._offer(d, t)
        elif d.kind == "duplicate" and d.staff_id is not None:
            self.feedback.show(f"{self._names.get(d.staff_id, d.staff_id)} 已打卡")
        elif d.kind == "rejected" and d.reason is not None:
            self.feedback.show(FAIL_TEXT[d.detail or d.reason])
            if self._unknown.allow(t):  # rule PRIV-1: no identity, no image
                self.ctx.emit(
                    UnknownFace(
                        best_distance=None if d.distance is None else round(min(d.distance, 2), 4),
                        reason=d.reason,
                        liveness=d.liveness,
                    )
                )


DRIVER = FaceTerminalDriver
