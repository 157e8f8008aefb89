"""The pure calculation core: stdlib and numpy only, no Django, no clock, no I/O.

See docs/architecture.md. Everything that turns facts into money lives here and is tested
without a database.
"""
