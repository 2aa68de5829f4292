"""Broker-neutral domain types, protocols and trading logic; imports no broker and no ML."""
