"""The soak harness: the live example's runtime against the paper exchange for weeks, with faults.

``python -m src.app.soak --days 30 --seed 1`` runs the trading runtime exactly as
``examples/live_trading_kraken.py`` builds it (WebSocket orders and streams on) in a worker
process, against the standalone paper exchange on an accelerated clock, through a seeded fault
proxy; it kills and restarts both at random points and audits the runtime's database against
the exchange's own records after every restart and at the end. See docs/soak.md.
"""
