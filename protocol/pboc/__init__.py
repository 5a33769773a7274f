"""The e-purse's cryptography (PBOC / JT/T 978), shared by the virtual card and
the reference central server (which stands in for the issuer's HSM and the
terminal's PSAM).

* :mod:`~protocol.pboc.crypto` — the primitives: DES MAC, 3DES session keys,
  per-card key diversification, the TAC key.
* :mod:`~protocol.pboc.secure` — issuer and card keys, the INITIALIZE answers
  and transaction records as the card sends them, load/purchase MAC1/MAC2/TAC.

The card defines these algorithms; they stay DES/3DES whatever the wire between
kiosk and centre uses.
"""
