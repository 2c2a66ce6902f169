"""Apply the Alembic migrations shipped in ``mmpath/store/migrations`` to a database."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("mmpath.store").joinpath("migrations"))
    )
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; a no-op when already there)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
