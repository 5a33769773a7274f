"""The API's operations, one module per area."""

from __future__ import annotations

from central.router import Route
from central.routes import (
    admin,
    alerts,
    cards,
    disputes,
    kiosk,
    lifecycle,
    loads,
    overdraft,
    pin,
    points,
    purchases,
)

__all__ = ["all_routes"]


def all_routes() -> list[Route]:
    return [*cards.ROUTES, *pin.ROUTES, *points.ROUTES, *loads.ROUTES, *purchases.ROUTES,
            *lifecycle.ROUTES, *overdraft.ROUTES,
            *disputes.ROUTES, *kiosk.ROUTES, *alerts.ROUTES, *admin.ROUTES]
