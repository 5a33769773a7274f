"""What a card of another city may do here: configuration, and the centre's say."""

from __future__ import annotations

from config.schema import InteropSection
from daemon.interop import Interop

CITIES = {"1000": ("北京", "Beijing"), "4403": ("深圳", "Shenzhen")}


def test_our_own_card_gets_no_city_and_every_service() -> None:
    assert Interop(InteropSection(), CITIES).card_fields("4403", True) == {
        "issuer_city": None, "services": None}
    assert Interop(InteropSection(), CITIES).card_fields(None, False)["services"] is None


def test_another_citys_card_gets_balance_and_history_by_default() -> None:
    fields = Interop(InteropSection(), CITIES).card_fields("1000", True)
    assert fields == {"issuer_city": {"code": "1000", "name": "Beijing", "name_zh": "北京"},
                      "services": ["balance", "history"]}


def test_top_up_only_for_a_named_city_whose_card_the_centre_knows() -> None:
    open_ = InteropSection(other_city_services=["balance", "history", "topup"],
                           topup_cities=["1000"])
    interop = Interop(open_, CITIES)
    assert interop.card_fields("1000", True)["services"] == ["balance", "history", "topup"]
    assert interop.card_fields("1000", False)["services"] == ["balance", "history"]
    assert interop.card_fields("3100", True)["services"] == ["balance", "history"]


def test_a_city_not_in_the_table_is_named_by_its_code() -> None:
    city = Interop(InteropSection(), CITIES).card_fields("9999", False)["issuer_city"]
    assert city == {"code": "9999", "name": "city code 9999", "name_zh": "城市代码 9999"}


def test_a_bad_interop_setting_is_a_config_error() -> None:
    from config import parse_config
    from config.loader import ConfigError
    try:
        parse_config({"interop": {"home_cities": ["44"], "other_city_services": ["bills"]}})
    except ConfigError as exc:
        text = "\n".join(str(p) for p in exc.problems)
        assert "interop.home_cities" in text and "interop.other_city_services" in text
    else:
        raise AssertionError("accepted")
