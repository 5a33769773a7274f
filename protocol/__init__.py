"""The contract between CityCard's processes: what crosses a wire, once.

Every process imports this package; it imports nothing else of ours
(tests/test_boundaries.py). Modules, one job each:

* :mod:`~protocol.signing` — the request signature of the central API
  (HMAC-SHA256), the ``requests`` auth that every signed client uses, and the
  server's check.
* :mod:`~protocol.pinblock` — payment-password PIN blocks (ISO 9564-1 format 4
  under AES-128) and the per-kiosk PIN key (HKDF-SHA256).
* :mod:`~protocol.pboc` — the e-purse's cryptography and byte layouts
  (PBOC / JT/T 978): MACs, session keys, TACs, INITIALIZE answers, records.
* :mod:`~protocol.masking` — card numbers as anyone but the central side sees them.
* :mod:`~protocol.errors` — the one error catalogue of both APIs.
* :mod:`~protocol.wire` — how a typed message (a msgspec ``Struct``) is
  decoded, with every wrong field named, and encoded.
* :mod:`~protocol.local`, :mod:`~protocol.localclient` — the local API's
  messages and its Unix-socket client (the UI and ``kioskctl``); the OpenAPI
  document is generated from the messages (docs/local-api.md).
* :mod:`~protocol.central` — the central API's requests and replies as kioskd
  sends and reads them.
* :mod:`~protocol.migrations` — the one SQLite migration runner.

Nothing is imported here, so a process pays only for the modules it uses
(``kioskctl status`` must start in 150 ms).
"""
