"""Dependencies of the API routes, as Annotated aliases (SessionDep, HallsDep, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.commands import CommandSender
from hub.fleet.engine import FleetPolicy
from models.layout import Hall


def get_engine(request: Request) -> Engine:
    """The database engine the app was built with."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    """A session for one request (commit explicitly when writing)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_halls(request: Request) -> list[Hall]:
    """The hall layouts this hub serves."""
    halls: list[Hall] = request.app.state.halls
    return halls


HallsDep = Annotated[list[Hall], Depends(get_halls)]


def get_policy(request: Request) -> FleetPolicy:
    """The fleet thresholds."""
    policy: FleetPolicy = request.app.state.fleet_policy
    return policy


PolicyDep = Annotated[FleetPolicy, Depends(get_policy)]


def get_now(request: Request) -> datetime:
    """The hub's current time (aware), from the app's clock."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


NowDep = Annotated[datetime, Depends(get_now)]


def get_commands(request: Request) -> CommandSender | None:
    """The command sender, when the hub runs one (None in API-only setups)."""
    sender: CommandSender | None = request.app.state.commands
    return sender


CommandsDep = Annotated[CommandSender | None, Depends(get_commands)]
