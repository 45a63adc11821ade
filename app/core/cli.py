"""What ``flask ...`` commands print follows the configured locale (``BABEL_DEFAULT_LOCALE``, zh_CN).

Every command runs inside the app context Flask's CLI pushes; without a request, :func:`app.core.i18n.
select_locale` answers the configured default, so ``gettext`` in a command speaks the platform's language.
Commands write their output with ``_()`` like any page, and refuse with :class:`CliError`, whose "错误："
prefix is translated too (click's own ``ClickException`` prints an English "Error:").
"""
from __future__ import annotations

import click
from flask_babel import gettext as _


class CliError(click.ClickException):
    """A command's refusal (exit code 1), printed as ``错误：<message>`` in the configured locale."""

    def __init__(self, message: str) -> None:
        super().__init__(str(message))
        # Translated now, inside the command's app context (click shows it after that context has ended).
        self.shown = _("错误：%(message)s", message=self.message)

    def show(self, file=None) -> None:
        if file is None:
            click.echo(self.shown, err=True)
        else:
            click.echo(self.shown, file=file)
