"""What citizens are told on the hall's devices when something fails (DEV-4). Pure, zh-CN.

The words a counter display, the hall screen, the kiosk screen and the voice show or say are
the hall's own language (zh-CN) whatever language an operator's dashboard is in; they live
here, one place, so the devices and the pages say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from models.devices import kiosk, ticket_printer, voice

PAUSE_REASONS: dict[str, str] = {
    "staff_away": "工作人员暂时离开",
    "system_fault": "业务系统故障",
    "device_fault": "窗口设备故障",
    "meeting": "工作人员临时有事",
    "other": "暂停受理",
}
"""Why a window cannot serve now (rule DEV-4); the code is stored, the words are shown."""

PRINT_FAULTS: dict[str, str] = {
    "printer_out_of_paper": "取号纸已用完",
    "printer_no_answer": "打印机暂时无法出票",
    "printer_offline": "打印机暂时无法出票",
    "printer_error": "打印机故障",
}
"""Why a ticket was not printed, as the kiosk says it."""

HALL_FAULTS: dict[tuple[str, str], str] = {
    (ticket_printer.KIND, "printer_out_of_paper"): "取号机打印纸已用完：取号后请记下屏幕上的号码",
    (ticket_printer.KIND, "*"): "取号机暂时无法出票：取号后请记下屏幕上的号码",
    (voice.KIND, "*"): "语音叫号暂停：请留意大屏和窗口屏的叫号",
    (kiosk.KIND, "*"): "取号机故障：请到咨询台取号",
}
"""Hall-wide faults the hall screen tells everybody about (DEV-4): (device kind, fault code)."""


def pause_reason_text(reason: str | None) -> str:
    """The words of a pause reason code (an unknown or free code is shown as 暂停受理)."""
    return PAUSE_REASONS.get(reason or "", PAUSE_REASONS["other"])


def pause_lines(reason: str | None, elsewhere: int | None) -> tuple[str, str]:
    """The counter display's two lines when the window cannot serve (rule DEV-4): 暂停服务,
    then why (when a reason was given) and where to go instead, or to wait."""
    go = f"请到{elsewhere}号窗口办理" if elsewhere is not None else "请稍候"
    return "暂停服务", f"{pause_reason_text(reason)}，{go}" if reason else go


def hall_fault_text(kind: str, code: str) -> str | None:
    """The hall screen's notice for a fault of a hall-wide device, or None if it is local."""
    return HALL_FAULTS.get((kind, code)) or HALL_FAULTS.get((kind, "*"))


@dataclass(frozen=True, slots=True)
class TicketWords:
    """What the kiosk shows and says about a ticket just taken."""

    title: str
    detail: str
    speech: str | None


def ticket_words(ticket: str, service_name: str, ahead: int, fault: str | None) -> TicketWords:
    """The kiosk's words for a ticket: printed, or not printed with the reason (rule DEV-4)."""
    if fault is None:
        return TicketWords(f"请取走号码 {ticket}", f"{service_name} · 您前面还有{ahead}人", None)
    if fault == "no_printer":  # a hall that prints no slips: the screen is the ticket
        return TicketWords(
            f"您的号码 {ticket}", f"{service_name} · 您前面还有{ahead}人 · 请记下号码", None
        )
    why = PRINT_FAULTS.get(fault, PRINT_FAULTS["printer_error"])
    return TicketWords(
        f"您的号码 {ticket}",
        f"{why}，号码未能打印。请记下号码或用手机扫码保存 · {service_name} · 前面{ahead}人",
        f"{why}，您的号码是{ticket}，请记下屏幕上的号码",
    )


def hall_notices(faults: Iterable[tuple[str, str]]) -> list[str]:
    """The hall screen's notices for these (device kind, fault code) pairs, each once."""
    out: list[str] = []
    for kind, code in faults:
        text = hall_fault_text(kind, code)
        if text and text not in out:
            out.append(text)
    return out
