"""Cards of other cities (互联互通): whose card it is, and what it may do here.

A T-Union or City Union card issued elsewhere is read like ours; its city comes
from the issuer id (city code at bytes 2-3), named from ``config/cities.toml``.
What such a card may do is configuration (``interop.*``): by default its balance
and history only; top-up where the kiosk's configuration names its city and the
central side knows the card (it accepts that issuer). The screen offers only
those services, so the cardholder never meets a raw refusal.
"""

from __future__ import annotations

from typing import Any

from config.cities import load_cities
from config.schema import InteropSection

__all__ = ["Interop"]


class Interop:
    def __init__(self, settings: InteropSection | None = None,
                 cities: dict[str, tuple[str, str]] | None = None) -> None:
        self._settings = settings or InteropSection()
        self._cities = load_cities() if cities is None else cities

    def card_fields(self, city_code: str | None, central_knows: bool) -> dict[str, Any]:
        """``issuer_city`` and ``services`` of the card view (both None for our own)."""
        if not city_code or city_code in self._settings.home_cities:
            return {"issuer_city": None, "services": None}
        zh, en = self._cities.get(city_code, (f"城市代码 {city_code}", f"city code {city_code}"))
        services = [s for s in self._settings.other_city_services if s != "topup"]
        if "topup" in self._settings.other_city_services and central_knows \
                and city_code in self._settings.topup_cities:
            services.append("topup")
        return {"issuer_city": {"code": city_code, "name": en, "name_zh": zh},
                "services": services}
