"""The composition root: the ``coaching`` command, the list of services and ``make run``.

Each service declares itself (its runtime and process types) in its own
``bootstrap.py``; this package is the one place that names all three
(:mod:`coaching.registry`) and starts their processes (:mod:`coaching.cli`,
:mod:`coaching.supervisor`, :mod:`coaching.restarting`).
"""
