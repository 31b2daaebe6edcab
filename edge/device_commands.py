"""A device's commands from the hub (`cmd`): parsed, checked as addressed to this device, carried
out once (a command seen again is not repeated) and always answered with a CommandResult."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from edge.device_config import DeviceConfig, peek
from edge.drivers.base import CommandOutcome, Driver
from models.commands import Command, CommandType, parse_command
from models.errors import ContractError
from models.events import CommandResult, EventBody

logger = logging.getLogger(__name__)

REMEMBERED = 1000
"""How many carried-out command ids a device remembers, to answer a repeat without redoing it."""


class CommandRunner:
    """Carries out the hub's commands on one device's driver."""

    def __init__(
        self,
        hall: str,
        device: str,
        driver: Driver[Any],
        config: DeviceConfig,
        emit: Callable[[EventBody], None],
    ) -> None:
        self.hall, self.device = hall, device
        self.driver, self.config, self._emit = driver, config, emit
        self.done: OrderedDict[str, None] = OrderedDict()

    def run(self, payload: bytes) -> bool:
        """Parse and carry out a command; always report a CommandResult, never raise."""
        try:
            command = parse_command(payload)
        except ContractError as exc:
            command_id = str(peek(payload, "id", "unknown"))[:64] or "unknown"
            return self._result(command_id, CommandOutcome(False, f"bad command: {exc.reason}"))
        if (command.hall, command.device) != (self.hall, self.device):
            return self._result(
                command.id, CommandOutcome(False, f"command is for {command.hall}/{command.device}")
            )
        if command.id in self.done:
            logger.info("%s: command %s already carried out", self.device, command.id)
            return True
        outcome = self._carry_out(command)
        self.done[command.id] = None
        while len(self.done) > REMEMBERED:
            self.done.popitem(last=False)
        return self._result(command.id, outcome)

    def _carry_out(self, command: Command) -> CommandOutcome:
        driver = self.driver
        try:
            if command.type is CommandType.RELOAD_CONFIG:
                driver.apply_config(driver.config)
                return CommandOutcome(True, f"config version {self.config.version} re-applied")
            return driver.handle(command)
        except Exception as exc:
            logger.exception("%s: command %s failed", self.device, command.type.value)
            return CommandOutcome(False, f"driver error: {exc}")

    def _result(self, command_id: str, outcome: CommandOutcome) -> bool:
        self._emit(CommandResult(command_id=command_id, ok=outcome.ok, detail=outcome.detail[:500]))
        return outcome.ok
