"""Ticket printer (取号打印机): prints the queue tickets the hub assigns (ESC/POS)."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.commands import CommandType
from models.devices.base import DeviceConfigBase, DeviceKindSpec

KIND: Final = "ticket_printer"
"""This kind's name: the `kind` of its devices and configs."""


class TicketPrinterConfig(DeviceConfigBase):
    """Settings of the hall's ticket printer."""

    kind: Literal["ticket_printer"] = Field(default=KIND, description="Device kind")
    connection: Literal["serial", "usb"] = Field(
        default="serial", description="How the real printer is attached"
    )
    port: str | None = Field(default=None, description="Serial device (real serial backend)")
    baudrate: int = Field(default=9600, description="Serial line speed")
    usb_vendor: int | None = Field(default=None, description="USB vendor id (real usb backend)")
    usb_product: int | None = Field(default=None, description="USB product id")
    timeout_s: float = Field(default=0.5, gt=0, le=10, description="Status answer timeout")
    title: str = Field(default="政务服务大厅", max_length=40, description="Top line of a ticket")
    max_age_s: float | None = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="A ticket older than this is not printed (the kiosk showed it already, "
        "DEV-4); None prints whatever the age",
    )


SPEC = DeviceKindSpec(
    kind=KIND,
    config=TicketPrinterConfig,
    label_zh="取号打印机",
    label_en="Ticket printer",
    opening_check=True,  # rule DEV-1: checked with the kiosk before opening
    sends=frozenset(),
    takes=frozenset({CommandType.PRINT_TICKET}),
)
