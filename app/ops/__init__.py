"""Operations: health and readiness probes, Prometheus metrics, JSON request logs with request ids, and
``flask ops backup`` / ``flask ops restore``.

A domain without models, placed first in ``app.DOMAINS`` (after core) so that any domain may use its request
id (:func:`app.ops.logs.request_id`); it imports nothing but core and the extensions. See docs/operations.md.
"""
