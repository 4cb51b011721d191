"""``publicpay demo``: a day at the portal, simulated end to end against a real server.

- ``day_plan``: who pays what, through which provider, with which outcome (pure).
- ``citizens``: the citizens' fines, bills and households, and their inputs (pure).
- ``preparing``: the agencies' keys and webhook endpoints, the finance officer's account.
- ``serving``: the gateway server the demo starts (``publicpay serve`` in a subprocess).
- ``journeys``: a citizen paying through the server and the provider sandboxes (HTTP).
- ``webhook_receiver``: the agencies' webhook endpoint, in the demo's process.
- ``figures``: the day's figures, read from the database; ``report``: them as tables.
- ``past_days``: the earlier days of ``--days D``, each a child demo under libfaketime.
"""
