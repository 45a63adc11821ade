"""``profession``: the profession page (the resource package) with a big published standard and its resources.

One profession gets an approved course standard with 30 integrated courses and 300 learning tasks (六步法
stages), 30 workbooks with 600 pages and 3,000 page versions (five per page, the fifth current and approved),
and 500 approved videos linked to the tasks: written with bulk ``INSERT ... executemany`` into a copy of the
small bench database. A tenth of that ("small package": 3 courses, 30 tasks, 300 page versions, 50 videos) goes
into another copy, to show that the page's SQL statement count does not grow with the package.

``GET /professions/<id>`` as the bench platform admin is then compared with ``/_bench/bare/profession``
(bench/app.py): the same template (catalog/profession.html with the standards panel) and the same shape of
data (30 courses, 300 tasks, 600 page links, 500 video links), built once in memory, no database.

**Target** (issue 3): a constant statement count, and real >= 40% of bare requests/s.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bench import generate, measure
from bench.scenarios import Context, scenario
from bench.server import gunicorn
from bench.table import Table

TARGET_RATIO = 0.40
PROFESSION = "cnc-machining"
LEVEL = "advanced"
STAGES = [("inform", "获取信息"), ("plan", "制订计划"), ("decide", "作出决策"), ("implement", "实施计划"),
          ("check", "检查控制"), ("evaluate", "评价反馈")]


@dataclass(frozen=True)
class PackageScale:
    courses: int
    tasks_per_course: int
    pages_per_task: int
    versions_per_page: int
    videos: int

    @property
    def tasks(self) -> int:
        return self.courses * self.tasks_per_course

    @property
    def page_versions(self) -> int:
        return self.tasks * self.pages_per_task * self.versions_per_page


PACKAGES = {
    "full": PackageScale(courses=30, tasks_per_course=10, pages_per_task=2, versions_per_page=5, videos=500),
    "small": PackageScale(courses=3, tasks_per_course=10, pages_per_task=2, versions_per_page=5, videos=50),
}

PAGE_HTML = ("<h2>{title}</h2><p>本页用于学习任务“{task}”的{stage}环节。请阅读工作页要求，完成下表并自检。</p>"
             "<table><thead><tr><th>步骤</th><th>要求</th></tr></thead><tbody><tr><td>1</td><td>检查设备与工具</td></tr>"
             "<tr><td>2</td><td>按工艺卡操作，记录数据</td></tr></tbody></table>")


class _Ids:
    """Explicit primary keys after the database's current maximum, so rows can reference each other."""

    def __init__(self, conn):
        self.conn = conn

    def start(self, table) -> int:
        from sqlalchemy import func, select

        return (self.conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def build_package(url: str, scale: PackageScale) -> int:
    """Write the approved standard, workbooks, pages, versions and videos of PROFESSION; returns its id."""
    from sqlalchemy import bindparam, insert, select, update

    from app.auth.models import User
    from app.catalog.models import Profession, TrainingLevel
    from app.extensions import db
    from app.media.models import MediaFile, Video
    from app.standards.models import (CourseStandard, IntegratedCourse, LearningTask, StandardSection,
                                      StandardVersion, TaskStage)
    from app.workbooks.models import PageVersion, Workbook, WorkbookPage

    app = generate._make_app(url)
    with app.app_context():
        conn = db.session.connection()
        ids = _Ids(conn)
        profession_id = conn.execute(select(Profession.id).where(Profession.key == PROFESSION)).scalar_one()
        level_id = conn.execute(select(TrainingLevel.id).where(TrainingLevel.key == LEVEL)).scalar_one()
        author = conn.execute(select(User.id).where(User.username == generate.BENCH_ADMIN)).scalar_one()
        reviewer = conn.execute(select(User.id).where(User.username == "r0000")).scalar_one()
        now = datetime(2026, 9, 1, 8, 0)
        approved = {"review_state": "approved", "submitted_at": now, "approved_at": now, "submitted_by_id": author,
                    "approved_by_id": reviewer}

        standard_id = ids.start(CourseStandard.__table__)
        version_id = ids.start(StandardVersion.__table__)
        conn.execute(insert(CourseStandard), [{"id": standard_id, "profession_id": profession_id,
                                               "training_level_id": level_id, "current_version_id": None}])
        conn.execute(insert(StandardVersion), [{
            "id": version_id, "standard_id": standard_id, "number": 1, "title": "数控加工专业（高级技能）工学一体化课程标准",
            "change_note": "基准数据", "fingerprint": "", "created_by_id": author, **approved}])
        conn.execute(update(CourseStandard).where(CourseStandard.id == standard_id)
                     .values(current_version_id=version_id))
        conn.execute(insert(StandardSection), [
            {"version_id": version_id, "key": key, "position": i, "source": text, "html": f"<p>{text}</p>"}
            for i, (key, text) in enumerate([("objectives", "培养数控加工高级工。"), ("arrangement", "共 30 门课程。"),
                                             ("norms", "按典型工作任务组织教学。"), ("suggestions", "校企合作实施。"),
                                             ("assessment", "过程性评价与终结性评价结合。")])])

        course_id, task_id = ids.start(IntegratedCourse.__table__), ids.start(LearningTask.__table__)
        courses, tasks, stages = [], [], []
        task_ids = []
        for c in range(scale.courses):
            cid = course_id + c
            courses.append({"id": cid, "version_id": version_id, "lineage_id": cid, "code": f"C{c + 1}",
                            "name": f"一体化课程{c + 1}：典型零件的数控加工", "hours": 40 * scale.tasks_per_course,
                            "task_description": "企业接到零件订单，按图纸和工艺要求完成加工与检测。", "position": c})
            for t in range(scale.tasks_per_course):
                tid = task_id + len(task_ids)
                task_ids.append(tid)
                tasks.append({"id": tid, "course_id": cid, "lineage_id": tid, "code": f"C{c + 1}-T{t + 1}",
                              "name": f"学习任务{c + 1}-{t + 1}：台阶轴的加工", "hours": 40,
                              "objectives": "能读懂零件图\n能编制加工工艺\n能操作数控车床完成加工", "position": t})
                stages += [{"task_id": tid, "key": key, "name": name, "position": i}
                           for i, (key, name) in enumerate(STAGES)]
        conn.execute(insert(IntegratedCourse), courses)
        conn.execute(insert(LearningTask), tasks)
        conn.execute(insert(TaskStage), stages)

        workbook_id, page_id = ids.start(Workbook.__table__), ids.start(WorkbookPage.__table__)
        pv_id = ids.start(PageVersion.__table__)
        workbooks = [{"id": workbook_id + c, "key": f"bench-wb-{workbook_id + c}", "profession_id": profession_id,
                      "integrated_course_id": course_id + c, "learning_task_id": None,
                      "title": f"一体化课程{c + 1}工作页", "description": "", "created_by_id": author}
                     for c in range(scale.courses)]
        pages, versions = [], []
        for n, tid in enumerate(task_ids):
            c = n // scale.tasks_per_course
            for p in range(scale.pages_per_task):
                pid = page_id + len(pages)
                stage_key, stage_name = STAGES[p % len(STAGES)]
                pages.append({"id": pid, "workbook_id": workbook_id + c, "position": len(pages) + 1,
                              "learning_task_id": tid, "stage": stage_key, "current_version_id": None,
                              "latest_number": scale.versions_per_page})
                for v in range(1, scale.versions_per_page + 1):
                    title = f"工作页 {n + 1}.{p + 1}（{stage_name}）"
                    html = PAGE_HTML.format(title=title, task=tasks[n]["name"], stage=stage_name)
                    versions.append({"id": pv_id + len(versions), "page_id": pid, "number": v, "title": title,
                                     "source": f"## {title}\n\n第 {v} 版正文。", "html": html, "fields": [],
                                     "change_note": f"第 {v} 次修订", "author_id": author,
                                     "effective_date": date(2026, 1, 1) + timedelta(days=30 * v), **approved})
        conn.execute(insert(Workbook), workbooks)
        conn.execute(insert(WorkbookPage), pages)
        conn.execute(insert(PageVersion), versions)
        # The newest version of each page is its current one (the page row points at it).
        pages_table = WorkbookPage.__table__
        conn.execute(update(pages_table).where(pages_table.c.id == bindparam("pid")).values(
            current_version_id=bindparam("vid")),
            [{"pid": page["id"], "vid": pv_id + i * scale.versions_per_page + scale.versions_per_page - 1}
             for i, page in enumerate(pages)])

        file_id, video_id = ids.start(MediaFile.__table__), ids.start(Video.__table__)
        files, videos = [], []
        for v in range(scale.videos):
            key = f"media/video/bench/{file_id + v:08d}.mp4"
            files.append({"id": file_id + v, "storage_key": key, "original_name": f"操作示范{v + 1}.mp4",
                          "kind": "video", "format": "mp4", "mime": "video/mp4", "size": 48_000_000,
                          "sha256": f"{v:064x}", "width": 1280, "height": 720, "preview_key": None,
                          "uploaded_by_id": author})
            videos.append({"id": video_id + v, "title": f"操作示范视频 {v + 1}", "description": "数控车床操作示范",
                           "profession_id": profession_id, "learning_task_id": task_ids[v % len(task_ids)],
                           "file_id": file_id + v, "created_by_id": author, "duration": 300.0 + v, "width": 1280,
                           "height": 720, "codec": "h264", "poster_key": None, **approved})
        conn.execute(insert(MediaFile), files)
        conn.execute(insert(Video), videos)
        if db.engine.dialect.name == "postgresql":
            for table in ("course_standard", "standard_version", "integrated_course", "learning_task", "workbook",
                          "workbook_page", "page_version", "media_file", "video"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
        db.session.commit()
        # Fresh planner statistics, as bench/generate.py does after its inserts: the copied database's
        # sqlite_stat1 says the workbook tables are empty, and SQLite then picks a nested scan of page_version x
        # workbook x workbook_page for the page links (27 s instead of 30 ms with 600 pages).
        with db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
            c.commit()
        db.engine.dispose()
    return profession_id


def _copy_small(ctx: Context, tmp: str, name: str) -> str:
    small = generate.ensure(generate.default_url("small"), "small", log=ctx.log)
    path = os.path.join(tmp, f"{name}.db")
    shutil.copyfile(small[len("sqlite:///"):], path)
    return "sqlite:///" + path


@scenario("profession", "the profession page (resource package: 30 courses, 300 tasks, 3,000 page versions, "
                        "500 videos) vs the bare route")
def run(ctx: Context) -> list[Table]:
    tmp = tempfile.mkdtemp(prefix="gx-profession-", dir=generate.OUT)
    try:
        return _run(ctx, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(ctx: Context, tmp: str) -> list[Table]:
    urls, path = {}, None
    counts = Table("profession: SQL statements per request of GET /professions/<id> (in-process, warm, production)")
    statements = {}
    for name in ("small", "full"):
        scale = PACKAGES[name]
        urls[name] = _copy_small(ctx, tmp, name)
        profession_id = build_package(urls[name], scale)
        path = f"/professions/{profession_id}"
        ctx.log(f"  {name} package: {scale.courses} courses, {scale.tasks} tasks, {scale.page_versions:,} page "
                f"versions, {scale.videos} videos")
        statements[name] = measure.statements_per_request(urls[name], generate.BENCH_ADMIN, generate.BENCH_PASSWORD,
                                                          path)
        counts.add(package=name, courses=scale.courses, tasks=scale.tasks, **{
            "page versions": scale.page_versions, "videos": scale.videos, "statements": len(statements[name])})
    constant = len(statements["small"]) == len(statements["full"])
    counts.note("constant: yes" if constant else
                f"NOT CONSTANT: {len(statements['small'])} vs {len(statements['full'])}")
    for n, sql in enumerate(statements["full"], 1):
        counts.note(f"{n}. {' '.join(sql.split())[:160]}")
    if not constant:
        raise AssertionError("statement count grows with the package")
    with gunicorn(urls["full"], workers=ctx.workers, threads=ctx.threads, worker_class=ctx.worker_class) as server:
        cookie = server.login(generate.BENCH_ADMIN, generate.BENCH_PASSWORD)
        table = Table(f"profession: GET {path} as platform admin, full package ({server.describe()}; "
                      f"wrk -c{ctx.connections} -d{ctx.seconds}s x {ctx.rounds} rounds)")
        result = measure.compare(server, table, label="profession page", real=path, bare="/_bench/bare/profession",
                                 cookie=cookie, ctx=ctx, must_contain='data-testid="learning-task"')
    verdict = "meets" if result["ratio"] >= TARGET_RATIO else "MISSES"
    table.note(f"ratio real/bare = {result['ratio']:.0%} (median req/s {result['real']['rps']:,.1f} vs "
               f"{result['bare']['rps']:,.1f}); target >= {TARGET_RATIO:.0%}: {verdict}")
    table.note(f"CPU ratio = {result['cpu_ratio']:.0%} ({result['bare']['cpu']:.1f} vs {result['real']['cpu']:.1f} "
               "CPU ms per request)")
    ctx.extra["profession"] = result
    return [counts, table]
