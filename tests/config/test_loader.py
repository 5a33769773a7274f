"""The config loader: defaults, conversion, and every problem reported at once."""

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config import ConfigError, load_config, parse_config
from config.schema import T_UNION_AID


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kioskd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""))
    assert cfg.reader.aids[0] == T_UNION_AID
    assert cfg.journal_path == Path("/var/lib/citycard/journal.sqlite")
    assert cfg.kiosk_socket == Path("/run/citycard/kiosk.sock")


def test_relative_paths_resolve_against_the_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[paths]\nstate_dir = "var"\nrun_dir = "run"\n'))
    assert cfg.paths.state_dir == tmp_path.resolve() / "var"
    assert cfg.journal_path == tmp_path.resolve() / "var" / "journal.sqlite"
    assert cfg.admin_socket == tmp_path.resolve() / "run" / "admin.sock"


def test_every_problem_is_listed_with_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, """
[kiosk]
terminal_id = "12345"
langauge = "en"

[paths]
admin_socket_group = "Operators Group"

[printer]
paper_width_mm = 76
backend = "bluetooth"

[cash]
pulse_table = { "3" = -100 }

[centrl]
url = "x"
""")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    found = {(p.key, p.file) for p in info.value.problems}
    assert found == {
        ("kiosk.terminal_id", str(path)),
        ("kiosk.langauge", str(path)),
        ("paths.admin_socket_group", str(path)),
        ("printer.paper_width_mm", str(path)),
        ("printer.backend", str(path)),
        ("cash.pulse_table", str(path)),
        ("centrl", str(path)),
    }
    text = str(info.value)
    assert "did you mean 'language'" in text
    assert "did you mean 'central'" in text
    assert "must be one of 58, 80" in text


def test_wrong_types_are_reported_not_coerced() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"central": {"retries": "3", "read_timeout_s": True},
                      "ui": {"fullscreen": "yes"}})
    assert sorted(p.key for p in info.value.problems) == [
        "central.read_timeout_s", "central.retries", "ui.fullscreen"]


def test_cross_field_rules() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"cash": {"pulse_min_ms": 50, "pulse_max_ms": 40, "inhibit_pin": 17},
                      "central": {"client_cert": "/a.crt"}})
    keys = sorted(p.key for p in info.value.problems)
    assert keys == ["cash.pulse_min_ms", "cash.pulse_pin", "central.client_cert"]


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[kiosk\n"))


def test_shipped_examples_are_valid() -> None:
    for example in (Path(__file__).parents[2] / "config" / "examples").glob("*.toml"):
        assert load_config(example).source == example


def test_time_zone_and_hotline_defaults() -> None:
    cfg = parse_config({})
    assert cfg.kiosk.time_zone == "Asia/Shanghai"
    assert cfg.kiosk.zone == ZoneInfo("Asia/Shanghai")
    assert cfg.service.hotline == "12345"
    cfg = parse_config({"kiosk": {"time_zone": "Asia/Urumqi"},
                        "service": {"hotline": "0755-8888 8888"}})
    assert cfg.kiosk.zone == ZoneInfo("Asia/Urumqi")
    assert cfg.service.hotline == "0755-8888 8888"


@pytest.mark.parametrize("zone", ["China Standard Time", "Asia/Beijing", "", "../etc/passwd",
                                  "Asia", "UTC+8"])
def test_a_time_zone_that_zoneinfo_does_not_know_is_refused_clearly(zone: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"kiosk": {"time_zone": zone}})
    [problem] = info.value.problems
    assert problem.key == "kiosk.time_zone"
    assert "IANA time zone" in problem.message and "Asia/Shanghai" in problem.message


@pytest.mark.parametrize("hotline", ["", "call us", "1" * 25, "12345\n"])
def test_a_hotline_that_is_not_a_phone_number_is_refused(hotline: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"service": {"hotline": hotline}})
    assert [p.key for p in info.value.problems] == ["service.hotline"]


@pytest.mark.parametrize("interval", [0, 1, 101, 1000, -5])
def test_a_poll_interval_outside_2_to_100_ms_is_refused(interval: int) -> None:
    # 0 or 1 ms would spin the reader thread; above 100 ms a card waits longer than
    # a 300 ms tap budget can afford.
    with pytest.raises(ConfigError) as info:
        parse_config({"reader": {"poll_interval_ms": interval}})
    assert [p.key for p in info.value.problems] == ["reader.poll_interval_ms"]
    assert parse_config({"reader": {"poll_interval_ms": 25}}).reader.poll_interval_ms == 25
