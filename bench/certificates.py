#!/usr/bin/env python3
"""Batch certificate issue: N teachers who meet every requirement of a program get their certificate and PDF.

    python bench/certificates.py                 # 1,000 teachers, SQLite
    python bench/certificates.py --teachers 200
    python bench/certificates.py --web           # the same through the admin's batch page (htmx steps)

Set-up (teachers, enrollments, 学时 lines, reviewed practical tasks) goes through the services before the clock
starts. The measured part is what `flask certification issue --program KEY --pdf-dir DIR` does: check every
requirement of every teacher, create the certificates with their serials and codes, commit, then render each
PDF (Chinese text + QR code) to a file. The target is under 60 s for 1,000.
"""
from __future__ import annotations

import argparse
import re
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def setup(app, teachers: int) -> str:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app.auth import services as auth
    from app.certification import services
    from app.certification.models import PracticalSubmission, TeacherLevel
    from app.core.content import default_content_root, load_content
    from app.courses import services as courses
    from app.extensions import db
    from app.orgs import services as orgs

    with app.app_context():
        upgrade()
        load_content(default_content_root())
        level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
        course = courses.create_course(title="工学一体化课程教学实施", kind="training_course", is_shared=True)
        program = services.save_program(key=f"bench-{int(time.time())}", title="压测培训项目", level=level,
                                        min_total_hours=2, courses=[(course, 2)], practical_title="学习任务分析与策划")
        reviewer = auth.create_user(username=f"bench-reviewer-{program.id}", roles=["reviewer"], full_name="评审")
        school = orgs.save_school(None, key=f"bench-school-{program.id}", name="压测技师学院", kind="technician_college",
                                  province="广东省", city="广州市")
        for i in range(teachers):
            user = auth.create_user(username=f"cert{i:05d}-{program.id}", roles=["teacher"], full_name=f"教师{i}",
                                    school=school)
            services.enroll(program, user)
            services.record_credit(user, seconds=7200, source="offline_training", evidence="bench", course_id=course.id)
            sub = PracticalSubmission(program_id=program.id, user_id=user.id, storage_key="bench/x",
                                      original_name="x.pdf", mime="application/pdf")
            db.session.add(sub)
            db.session.flush()
            services.review_practical(sub, reviewer, {"analysis": 30, "design": 30, "assessment": 15})
        db.session.commit()
        return program.key


def run_web(app, key: str) -> tuple[int, int, int, float, float]:
    """The admin's batch page, in-process: log in, start the batch, POST each step as the page's htmx does
    (until the panel stops asking), fetch every PDF part. Returns (steps, issued, pages, wall s, CPU s)."""
    import secrets as _secrets

    from app.auth import services as auth
    from app.certification import services
    from app.extensions import db

    password = _secrets.token_urlsafe(12)
    with app.app_context():
        auth.create_user(username=f"bench-admin-{key}", roles=["platform_admin"], full_name="管理员", password=password)
        program_id = services.program_by_key(key).id
        db.session.commit()
    client = app.test_client()
    referer = {"Referer": "https://gongxue.example.cn/login"}  # production checks the Referer over https

    def token(path: str) -> str:
        page = client.get(path, base_url="https://gongxue.example.cn").get_data(as_text=True)
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    response = client.post("/login", base_url="https://gongxue.example.cn", headers=referer,
                           data={"csrf_token": token("/login"), "username": f"bench-admin-{key}", "password": password})
    assert response.status_code == 302, response.status_code
    t, cpu = time.perf_counter(), time.process_time()
    csrf = token("/training/batches")
    started = client.post("/training/batches", base_url="https://gongxue.example.cn", headers=referer,
                          data={"csrf_token": csrf, "program_id": program_id})
    batch_url = started.headers["Location"]
    steps, panel = 0, "hx-post"
    while "hx-post" in panel:
        steps += 1
        panel = client.post(batch_url + "/step", base_url="https://gongxue.example.cn",
                            headers={**referer, "X-CSRFToken": csrf, "HX-Request": "true"}).get_data(as_text=True)
        checked = re.search(r"([\d,]+) / ([\d,]+)（(\d+)%）", panel)
        print(f"  step {steps}: {checked.group(0) if checked else panel[:200]}")
    pages = 0
    for url in re.findall(r'href="([^"]+/parts/\d+\.pdf)"', panel):
        pages += len(re.findall(rb"/Type /Page\b(?!s)", client.get(url, base_url="https://gongxue.example.cn").data))
    issued = int(re.search(r"已发证 ([\d,]+) 人", panel).group(1).replace(",", ""))
    return steps, issued, pages, time.perf_counter() - t, time.process_time() - cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Batch certificate issue with PDFs.")
    parser.add_argument("--teachers", type=int, default=1000)
    parser.add_argument("--separate", action="store_true",
                        help="one PDF file per certificate (--pdf-dir) instead of one print-ready batch PDF (--pdf)")
    parser.add_argument("--web", action="store_true",
                        help="through the admin's batch page (/training/batches, htmx steps) instead of the CLI")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="gx-cert-")
    os.environ.update(GX_CONFIG="production", SECRET_KEY=os.urandom(24).hex(),
                      DATABASE_URL="sqlite:///" + os.path.join(tmp, "bench.db"), GX_INSTANCE_PATH=tmp,
                      SERVER_NAME="gongxue.example.cn", RATELIMIT_STORAGE_URI="memory://")
    from app import create_app

    app = create_app({"SERVER_NAME": "gongxue.example.cn", "PREFERRED_URL_SCHEME": "https"})
    t = time.perf_counter()
    key = setup(app, args.teachers)
    print(f"set-up: {args.teachers} teachers ready for a certificate ({time.perf_counter() - t:.1f} s)")
    if args.web:
        steps, issued, pages, wall, cpu = run_web(app, key)
        print(f"batch page: {issued} issued in {steps} steps, {pages} PDF pages, {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"({cpu / max(issued, 1) * 1000:.0f} ms per certificate with its PDF page) — "
              f"{'under' if wall < 60 else 'OVER'} 60 s; load average {os.getloadavg()[0]:.2f}")
        shutil.rmtree(tmp, ignore_errors=True)
        return 0 if issued == pages == args.teachers and wall < 60 else 1
    runner = app.test_cli_runner()
    pdf_dir = os.path.join(tmp, "pdf")
    batch = os.path.join(tmp, "batch.pdf")
    out = ["--pdf-dir", pdf_dir] if args.separate else ["--pdf", batch]
    t, cpu = time.perf_counter(), time.process_time()
    result = runner.invoke(args=["certification", "issue", "--program", key, *out])
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(result.output.strip().splitlines()[-1] if result.output.strip() else result.output)
    if result.exception:
        raise result.exception
    if args.separate:
        pdfs = len(os.listdir(pdf_dir)) if os.path.isdir(pdf_dir) else 0
        size = sum(os.path.getsize(os.path.join(pdf_dir, f)) for f in os.listdir(pdf_dir)) if pdfs else 0
    else:
        with open(batch, "rb") as fh:
            data = fh.read()
        size = len(data)
        pdfs = len(re.findall(rb"/Type /Page\b(?!s)", data))
    print(f"issued with PDFs in {wall:.1f} s: {pdfs} PDFs ({size / max(pdfs, 1) / 1024:.0f} KiB per page/file), "
          f"{pdfs / max(wall, 1e-9):.0f} certificates/s — {'under' if wall < 60 else 'OVER'} 60 s")
    print(f"CPU time of the batch: {cpu:.1f} s ({cpu / max(pdfs, 1) * 1000:.0f} ms per certificate with its PDF; "
          f"1,000 would need about {cpu / max(pdfs, 1) * 1000:.0f} s of one core); load average {os.getloadavg()[0]:.2f}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if pdfs == args.teachers and wall < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
