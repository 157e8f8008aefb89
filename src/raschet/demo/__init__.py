"""Deterministic demo data: a billing centre with its stock, people, services and tariffs.

`raschet.demo.services.demo_build` is the only entry point that writes; the other modules
are pure generators driven by one `random.Random(seed)`.
"""
