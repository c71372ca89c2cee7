"""The ``medsins`` sub-commands, one module each.

Every module defines ``register(subparsers)``, which adds its parser and sets
``func`` to a ``run(args) -> int`` function. :mod:`medsins.cli` wires them.
"""
