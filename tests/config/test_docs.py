"""docs/configuration.md names every key of the schema, and no key that is gone."""

import dataclasses
import re
import typing
from pathlib import Path

from config.schema import Config

DOC = Path(__file__).parents[2] / "docs" / "configuration.md"


def schema_keys() -> set[str]:
    hints = typing.get_type_hints(Config)
    return {f"{section.name}.{f.name}"
            for section in dataclasses.fields(Config) if section.name != "source"
            for f in dataclasses.fields(hints[section.name])}


def test_every_key_is_documented_and_every_documented_key_exists() -> None:
    documented = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", DOC.read_text(encoding="utf-8")))
    documented -= {"kiosk.sock", "admin.sock"}  # file names, not keys
    assert schema_keys() == documented
