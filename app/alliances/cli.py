"""``flask alliances``: put people into a committee (experts, managers), an alliance's secretariat, a task's
reporter, and give a committee its base rubric — until the management pages exist (docs/alliances.md)."""
from __future__ import annotations

import click
import yaml
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CliError
from app.errors import DomainError
from app.extensions import db


def _user(username: str):
    from app.auth import services as auth

    user = auth.find_user(username)
    if user is None:
        raise CliError(_("没有用户名为 %(name)s 的用户", name=username))
    return user


def _committee(key: str):
    from app.alliances import services

    committee = services.committee_by_key(key)
    if committee is None:
        raise CliError(_("没有键名为 %(key)s 的专业委员会", key=key))
    return committee


def register(app: Flask) -> None:
    group = AppGroup("alliances", help="Alliances, committees, demonstration bases and plans.")

    @group.command("add-expert")
    @click.argument("committee_key")
    @click.argument("username")
    @click.option("--title", default="", help="What the expert is known for (shown in the expert list).")
    def add_expert(committee_key, username, title):
        """Put USERNAME into the expert group of the committee COMMITTEE_KEY."""
        from app.alliances import services

        services.add_expert(_committee(committee_key), _user(username), title)
        db.session.commit()
        click.echo(_("完成"))

    @group.command("add-manager")
    @click.argument("committee_key")
    @click.argument("username")
    def add_manager(committee_key, username):
        """Let USERNAME decide, accept and publish the bases of the committee COMMITTEE_KEY."""
        from app.alliances import services

        services.add_manager(_committee(committee_key), _user(username))
        db.session.commit()
        click.echo(_("完成"))

    @group.command("add-secretary")
    @click.argument("alliance_key")
    @click.argument("username")
    def add_secretary(alliance_key, username):
        """Put USERNAME into the secretariat of the alliance ALLIANCE_KEY."""
        from sqlalchemy import select

        from app.alliances import services
        from app.alliances.models import Alliance

        alliance = db.session.scalar(select(Alliance).where(Alliance.key == alliance_key))
        if alliance is None:
            raise CliError(_("没有键名为 %(key)s 的联盟", key=alliance_key))
        services.add_secretary(alliance, _user(username))
        db.session.commit()
        click.echo(_("完成"))

    @group.command("set-criteria")
    @click.argument("committee_key")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def set_criteria(committee_key, path):
        """Give the committee its base rubric from a YAML list of {name, max_score, evidence}."""
        from app.alliances import services

        with open(path, encoding="utf-8") as fh:
            criteria = yaml.safe_load(fh)
        if not isinstance(criteria, list):
            raise CliError(_("文件必须是由 {name, max_score, evidence} 组成的列表"))
        try:
            services.set_criteria(_committee(committee_key), criteria)
        except DomainError as exc:
            raise CliError(exc.message) from None
        db.session.commit()
        click.echo(_("已设置 %(count)d 条评分标准", count=len(criteria)))

    app.cli.add_command(group)
