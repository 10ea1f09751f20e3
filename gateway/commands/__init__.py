"""What operators run and the server never calls: the ``itsm-gateway`` command line (``cli``),
``demo`` (the gateway with the emulators on one machine), ``check_connection`` (an ITSM
connection tried before going live), ``config_commands`` (``config check``/``config show``) and
``masking`` (what ``config show`` hides).

The serving core (``gateway/``) never imports this package; ``itsm-gateway serve`` is the one
command that reaches into it, from ``cli``. Only ``demo`` needs the emulators, a separate
distribution: ``cli`` imports it when the ``demo`` command runs, not before.
"""
