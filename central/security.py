"""The central side's security module: stands in for the issuer's HSM (loads)
and the terminal's PSAM (purchases).

The arithmetic lives in :mod:`hardware.card.secure`, shared with the virtual
card; this module is the central side's name for it.
"""

from hardware.card.secure import (
    LOAD_TYPE,
    PURCHASE_TYPE,
    CardKeys,
    CardRecord,
    InitLoad,
    InitPurchase,
    IssuerKeys,
    load_mac1,
    load_mac2,
    load_session_key,
    load_tac,
    purchase_mac1,
    purchase_mac2,
    purchase_session_key,
    purchase_tac,
)

__all__ = ["LOAD_TYPE", "PURCHASE_TYPE", "CardKeys", "CardRecord", "InitLoad",
           "InitPurchase", "IssuerKeys", "load_mac1", "load_mac2", "load_session_key",
           "load_tac", "purchase_mac1", "purchase_mac2", "purchase_session_key",
           "purchase_tac"]
