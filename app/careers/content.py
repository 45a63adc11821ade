"""Demo data for ``flask demo seed``: the demo enterprise's HR account, published job and internship posts for
the demo professions, the three demand lists and one application of the demo student."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.content import demo_step
from app.extensions import db

DEMO_HR = ("hr", "周招聘")
#: title, kind, profession keys, city, district, pay (min, max) or None for 面议, headcount, internship months.
DEMO_POSTS = [
    ("汽车机电维修技师", "job", ["auto-repair"], "广州市", "番禺区", (6000, 9000), 5, None),
    ("汽车维修实习生（岗位实习）", "internship", ["auto-repair"], "广州市", "番禺区", (2500, 3500), 10, 6),
    ("车身钣金喷漆学徒", "internship", ["auto-body-repair"], "佛山市", "南海区", None, 4, 6),
    ("焊接机器人操作工", "job", ["welding", "electrical-automation"], "佛山市", "顺德区", (5500, 8000), 6, None),
]
DUTIES = ("<p>在企业导师指导下完成车辆保养、故障诊断与维修作业，按企业作业规范填写工单。</p>"
          "<ul><li>执行 5S 与安全操作规程</li><li>参与班组技术交流</li></ul>")


@demo_step(90, _l("招聘就业：人力资源账号、岗位、需求清单与一份申请"))
def seed_demo_careers() -> str:
    from config import DEMO_PASSWORD

    from app.auth import services as auth
    from app.auth.content import DEMO_ENTERPRISE
    from app.careers import placements, services
    from app.careers.models import JobPost
    from app.catalog import services as catalog
    from app.orgs import services as orgs
    from app.review import services as review

    enterprise = orgs.enterprise_by_key(DEMO_ENTERPRISE)
    reviewer, student, mentor = (auth.find_user(n) for n in ("reviewer", "student", "mentor"))
    if enterprise is None or not (reviewer and student):
        return _("跳过：缺少演示账号")
    hr = auth.find_user(DEMO_HR[0]) or auth.create_user(
        username=DEMO_HR[0], roles=["enterprise_hr"], full_name=DEMO_HR[1], password=DEMO_PASSWORD,
        enterprise=enterprise)
    if db.session.scalar(select(JobPost.id).where(JobPost.enterprise_id == enterprise.id).limit(1)):
        return _("已存在")
    today = services.today()
    posts = []
    for title, kind, keys, city, district, pay, headcount, months in DEMO_POSTS:
        professions = [p.id for p in (_profession(catalog, k) for k in keys) if p is not None]
        if not professions:
            continue
        fields = dict(kind=kind, title=title, province=enterprise.province or "广东省", city=city, district=district,
                      pay_negotiable=pay is None, pay_min=pay[0] if pay else None, pay_max=pay[1] if pay else None,
                      headcount=headcount, duties=DUTIES, expires_on=today + timedelta(days=90),
                      mentor_id=mentor.id if mentor and mentor.enterprise_id == enterprise.id else None)
        if months:
            start = date(today.year + (today.month > 6), 3 if today.month > 6 else 9, 1)
            fields.update(period_start=start, period_end=start + timedelta(days=30 * months))
        post = services.create_post(enterprise.id, hr, professions=professions, **fields)
        review.submit(post, hr)
        review.approve(post, reviewer, "信息完整，同意发布。")
        posts.append(post)
    auto = _profession(catalog, "auto-repair")
    if auto is not None:
        services.add_demand_entry(enterprise.id, "talent", profession_id=auto.id, headcount=30,
                                  needed_by=date(today.year + 1, 7, 1))
    services.add_demand_entry(enterprise.id, "technology", title="新能源汽车高压系统故障诊断培训",
                              description="需要院校共建实训工位，年培训 200 人次。")
    services.add_demand_entry(enterprise.id, "product", title="整车售后维修服务",
                              description="覆盖华南地区 40 家服务站。")
    internship = next((p for p in posts if p.kind == "internship"), None)
    if internship is not None:
        application = services.apply(internship, student, "我是汽车维修专业学生，希望到贵公司岗位实习。")
        services.set_status(application, "offered")
        teacher = auth.find_user("teacher")
        start = placements.monday(today) - timedelta(days=14)
        placement = placements.create_placement(
            application, start_on=start, end_on=start + timedelta(days=180),
            supervisor_id=teacher.id if teacher and teacher.school_id == student.school_id else None,
            hours_per_day=8, hours_per_week=40, insured_on=start - timedelta(days=7))
        placements.write_log(placement, start, "第一周：熟悉车间 5S 管理和安全操作规程，在陈师傅指导下完成两台车的常规保养。")
    return _("发布 %(count)d 个岗位，1 份申请及进行中的实习", count=len(posts))


def _profession(catalog, key: str):
    """The profession of ``key``, or None when the catalogue lacks it (a trimmed content/)."""
    from app.errors import NotFound

    try:
        return catalog.profession_by_key(key)
    except NotFound:
        return None
