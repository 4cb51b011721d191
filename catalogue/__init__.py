"""The catalogue: who is paid (agencies), for what and how much (services and their fee
rules), and the dossiers citizens submit. Everything is data: a new service or fee is a new
version of ``data/seed.json`` (or another file given to ``publicpay catalogue load``).

What other packages call:

- ``catalogue.loading.ensure_seed_loaded(conn)`` at start-up;
- ``catalogue.store``: ``list_services`` (search ignores diacritics), ``get_service``,
  ``get_agency``, ``list_agencies``;
- ``catalogue.quoting.price_service(conn, code, inputs)`` → ``Quote`` (lines, total,
  allocations per agency, the biller's bills it settles) and ``mark_quote_paid``;
- ``catalogue.procedures``: ``submit_dossier``, ``advance_dossier``, ``request_payment``,
  ``mark_dossier_paid`` (inside the payment's transaction), ``track_dossier``;
- ``catalogue.model.payable_account(code, livemode=)`` / ``treasury_account(code, livemode=)``: ledger
  account codes (test-mode money under ``test:<code>``, see ``ledger_agency``).

Every refusal is a ``catalogue.errors.CatalogueError`` naming the field and the reason.
"""
