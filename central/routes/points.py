"""Points: balance, and redemption into a load order at the central rate."""

from __future__ import annotations

from central import db
from central.errors import ApiError
from central.router import Reply, Request, Route
from central.routes.common import CARD_STATE_ERRORS, card_or_404, require_usable
from central.routes.loads import create_load, load_view
from protocol import central as c

__all__ = ["ROUTES"]


def balance(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    rate = req.settings.points_per_yuan
    redeemable = card["points"] - card["points"] % rate
    return Reply(200, {"card_no": card["card_no"], "points": card["points"],
                       "points_per_yuan": rate, "redeemable_points": redeemable,
                       "redeemable_fen": redeemable // rate * 100})


def redeem(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    require_usable(req, card, "points_redemption")
    points, rate = req.body["points"], req.settings.points_per_yuan
    if points % rate:
        raise ApiError("validation_error", f"points are redeemed in steps of {rate}",
                       field="points", step=rate)
    if points > card["points"]:
        raise ApiError("points_insufficient", points=card["points"])
    order = create_load(req, card, points // rate * 100, req.body["terminal_id"],
                        source="points", points_used=points)
    db.run(req.conn, "UPDATE cards SET points = points - :points WHERE card_no = :card_no",
           points=points, card_no=card["card_no"])
    return Reply(201, {"order": load_view(order), "points_left": card["points"] - points})


ROUTES = [
    Route("GET", "/v1/cards/{card_no}/points", balance, "getPoints",
          "Points and what they are worth", "points", response="Points",
          errors=("card_unknown",)),
    Route("POST", "/v1/cards/{card_no}/points/redeem", redeem, "redeemPoints",
          "Turn points into a load order (then MAC2 and confirm as any load)", "points",
          status=201, response="Redemption", idempotency="required",
          body=c.RedeemPoints,
          errors=("card_unknown", *CARD_STATE_ERRORS,
                  "points_insufficient", "limit_single", "limit_daily"),
          description="The points are taken at once and given back if the order is "
                      "cancelled. Needs an Idempotency-Key."),
]
