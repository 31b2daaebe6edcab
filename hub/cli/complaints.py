"""`hallkeeper complaints`: the hall's contact key (PRIV-1) and the month's complaint counts."""

from __future__ import annotations

import json

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("contact-key")
def contact_key() -> None:
    """Make the hall's contact key pair: the private half for the hub (HK_CONTACT_KEY), the
    public half for the Pis of the rating devices (HK_CONTACT_PUBLIC_KEY or `contact_key`)."""
    from models.contact import new_keypair

    private, public = new_keypair()
    typer.echo(f"HK_CONTACT_KEY={private}          # the hub only; keep it secret")
    typer.echo(f"HK_CONTACT_PUBLIC_KEY={public}    # each Pi with a rating device")


@app.command("counts")
def counts(
    month: str = typer.Option(..., help="The month, YYYY-MM"),
    hall: str = typer.Option("demo", help="The hall id"),
    database_url: str = typer.Option(
        "sqlite:///data/hallkeeper.db", envvar="HK_DATABASE_URL", help="The hub's database"
    ),
) -> None:
    """The month's complaints per staff member and window, as the assessment counts them."""
    from hub.complaints.assessment import complaint_counts
    from hub.db import make_engine

    try:
        got = complaint_counts(make_engine(database_url), hall, month)
    except ValueError:
        raise typer.BadParameter(
            "the month is YYYY-MM, e.g. 2026-11", param_hint="--month"
        ) from None

    def one(c: object) -> dict[str, object]:
        return {
            k: getattr(c, k)
            for k in ("received", "substantiated", "partly", "unfounded", "open", "overdue")
        }

    typer.echo(
        json.dumps(
            {
                "month": month,
                "by_staff": {k: one(v) for k, v in got.by_staff.items()},
                "by_window": {k: one(v) for k, v in got.by_window.items()},
            },
            ensure_ascii=False,
            indent=1,
        )
    )
