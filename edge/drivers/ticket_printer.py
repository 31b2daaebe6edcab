"""The ticket printer (取号打印机): PrintTicket commands printed in ESC/POS by python-escpos.

Before each ticket the driver asks the paper sensor (DLE EOT 4); paper out is the device fault
`printer_out_of_paper` (DEV-4) and the ticket is refused, while the queue goes on. Chinese text
goes in the printer's Chinese mode (FS &) as GB18030. Backends: `real` prints on a serial port
(escpos.printer.Serial) or USB (escpos.printer.Usb); `simulated` prints on a pseudo-terminal
whose other end is a PrinterPeer that parses the ESC/POS bytes and answers status queries.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, ClassVar

from escpos.constants import RT_MASK_NOPAPER, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.printer import Serial, Usb

from edge.drivers.base import CommandOutcome, DeviceContext, Driver
from edge.drivers.serial_link import PtyPeer
from models.commands import Command, PrintTicket
from models.devices.ticket_printer import KIND, TicketPrinterConfig

logger = logging.getLogger(__name__)
ENCODING = "gb18030"
CHINESE_MODE = b"\x1c\x26"  # FS &
PAPER_OK = 0x12
PAPER_OUT = 0x72


def ticket_lines(body: PrintTicket, title: str, local_time: str) -> list[str]:
    """What a ticket says, line by line: number, service, people ahead, time."""
    return [
        title,
        body.ticket,
        body.service_name,
        f"您前面还有 {body.ahead} 人",
        f"取号时间 {local_time}",
        "请留意叫号,过号请重新取号",
    ]


class PrinterPeer(PtyPeer):
    """A simulated ESC/POS printer on a pseudo-terminal: keeps printed text, answers status."""

    _ESC_ARGS: ClassVar[dict[int, int]] = {ord("@"): 0, ord("2"): 0}
    _GS_ARGS: ClassVar[dict[int, int]] = {ord("L"): 2, ord("W"): 2}

    def __init__(self) -> None:
        super().__init__(name="escpos-peer")
        self.paper = True
        self.tickets: list[list[str]] = []
        self.status_queries = 0
        self._text = bytearray()
        self._buf = bytearray()
        self._read_into(self._received)

    def _received(self, data: bytes) -> None:
        self._buf.extend(data)
        self._parse()

    def _need(self, n: int) -> bool:
        return len(self._buf) >= n

    def _parse(self) -> None:
        buf = self._buf
        while buf:
            b = buf[0]
            if b == 0x1B:  # ESC x [n]
                if not self._need(2):
                    return
                size = 2 + self._ESC_ARGS.get(buf[1], 1)
            elif b == 0x1D:  # GS x [n]
                if not self._need(3):
                    return
                size = 2 + self._GS_ARGS.get(buf[1], 1)
                if buf[1] == ord("V") and buf[2] in (65, 66):
                    size += 1
                if buf[1] == ord("V") and self._need(size):
                    self._cut()
                elif buf[1] == ord("r") and buf[2] in (1, 49):
                    self._answer()
            elif b == 0x1C:  # FS x [n]
                if not self._need(2):
                    return
                size = 2 if buf[1] in (ord("&"), ord(".")) else 3
            elif b == 0x10:  # DLE EOT n: real-time status
                if not self._need(3):
                    return
                size = 3
                if buf[1] == 0x04 and buf[2] == 4:
                    self._answer()
            else:
                size = 1
                self._text.append(b)
            if not self._need(size):
                return
            del buf[:size]

    def _answer(self) -> None:
        self.status_queries += 1
        self._write_quietly(bytes([PAPER_OK if self.paper else PAPER_OUT]))

    def _cut(self) -> None:
        text = bytes(self._text).decode(ENCODING, errors="replace")
        self._text.clear()
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if lines:
            self.tickets.append(lines)


class TicketPrinterDriver(Driver[TicketPrinterConfig]):
    """Prints queue tickets; reports paper out as a device fault."""

    kind = KIND
    Config = TicketPrinterConfig

    def __init__(self, ctx: DeviceContext, config: TicketPrinterConfig) -> None:
        super().__init__(ctx, config)
        self.peer: PrinterPeer | None = None
        self.printer: Escpos | None = None
        self.out_of_paper = False
        self.printed = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Open the printer (serial, USB or the simulated peer)."""
        cfg = self.config
        printer: Any
        if cfg.backend == "simulated":
            self.peer = PrinterPeer()
            printer = Serial(
                devfile=self.peer.port, baudrate=cfg.baudrate, timeout=cfg.timeout_s, dsrdtr=False
            )
        elif cfg.connection == "usb":
            if cfg.usb_vendor is None or cfg.usb_product is None:
                raise ValueError("ticket_printer: usb needs usb_vendor and usb_product")
            printer = Usb(cfg.usb_vendor, cfg.usb_product, timeout=int(cfg.timeout_s * 1000))
        else:
            if not cfg.port:
                raise ValueError("ticket_printer: the real serial backend needs `port`")
            printer = Serial(devfile=cfg.port, baudrate=cfg.baudrate, timeout=cfg.timeout_s)
        printer.open()
        self.printer = printer

    def stop(self) -> None:
        """Close the printer; safe twice."""
        if self.printer is not None:
            with contextlib.suppress(Exception):
                self.printer.close()
            self.printer = None
        if self.peer is not None:
            self.peer.close()
            self.peer = None

    def status(self) -> str:
        """fault while out of paper."""
        return "fault" if self.out_of_paper else "ok"

    def handle(self, command: Command) -> CommandOutcome:
        """Print a PrintTicket; other commands are refused."""
        if not isinstance(command.body, PrintTicket):
            return CommandOutcome(False, f"ticket_printer does not take {command.type.value}")
        return self.print_ticket(command.body)

    def paper_ok(self) -> bool:
        """Ask the paper sensor (DLE EOT 4); no answer counts as paper present."""
        assert self.printer is not None
        if isinstance(self.printer, Serial):
            self.printer.device.reset_input_buffer()
            self.printer._raw(RT_STATUS_PAPER)
            status = self.printer.device.read(1)
        else:
            status = self.printer.query_status(RT_STATUS_PAPER)
        return not status or (status[0] & RT_MASK_NOPAPER) != RT_MASK_NOPAPER

    def print_ticket(self, body: PrintTicket) -> CommandOutcome:
        """Check the paper, then print one ticket and cut."""
        with self._lock:
            if self.printer is None:
                return CommandOutcome(False, "printer_error: printer is not open")
            age = (self.ctx.now() - body.issued_at).total_seconds()
            limit = self.config.max_age_s
            if limit is not None and age > limit:  # queued while the printer was away
                logger.info(
                    "printer %s: %s is %.0fs old, not printed", self.ctx.device, body.ticket, age
                )
                return CommandOutcome(False, f"ticket_stale: issued {age:.0f}s ago")
            if not self.paper_ok():
                if not self.out_of_paper:
                    self.out_of_paper = True
                    self.ctx.fault("printer_out_of_paper", "ticket printer is out of paper")
                return CommandOutcome(False, "printer_out_of_paper")  # rule DEV-4
            if self.out_of_paper:
                self.out_of_paper = False
                self.ctx.fault("printer_out_of_paper", "paper loaded", active=False)
            self._print(body)
            self.printed += 1
        return CommandOutcome(True, f"printed {body.ticket}")

    def _print(self, body: PrintTicket) -> None:
        p = self.printer
        assert p is not None
        local = body.issued_at.astimezone(self.ctx.tz).strftime("%Y-%m-%d %H:%M")
        title, number, *rest = ticket_lines(body, self.config.title, local)
        p.hw("INIT")
        p._raw(CHINESE_MODE)
        p.set(align="center", bold=True)
        p._raw(title.encode(ENCODING) + b"\n")
        p.set(align="center", double_height=True, double_width=True, bold=True)
        p._raw(number.encode(ENCODING) + b"\n")
        p.set(align="center", normal_textsize=True, bold=False)
        for line in rest:
            p._raw(line.encode(ENCODING) + b"\n")
        p.cut()


DRIVER = TicketPrinterDriver
