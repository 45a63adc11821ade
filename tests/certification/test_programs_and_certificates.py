"""Training programs, requirements with readable reasons, certificates, verification and signed credentials."""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from app.certification import credentials, rules, services
from app.certification.models import Certificate, CertificateEvent, TeacherLevel
from app.courses import services as courses
from app.extensions import db
from tests import factories


@pytest.fixture
def program(app):
    levels = list(db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)))
    assert [lv.name for lv in levels][:3] == ["初级工学一体化教师", "中级工学一体化教师", "高级工学一体化教师"]
    teach = courses.create_course(title="工学一体化课程教学实施", kind="training_course", is_shared=True)
    assess = courses.create_course(title="工学一体化课程考核实施", kind="training_course", is_shared=True)
    prog = services.save_program(key="p-junior", title="初级培训", level=levels[0], min_total_hours=6,
                                 courses=[(teach, 2), (assess, 3.5)], practical_title="学习任务分析与策划",
                                 validity_years=3)
    db.session.commit()
    return prog


def _hours(user, course, hours, admin=None):
    services.record_credit(user, seconds=hours * 3600, source="offline_training", evidence="file:sign-in.xlsx",
                           course_id=course.id, actor=admin)


def _complete(prog, teacher):
    reviewer = factories.user("reviewer")
    _hours(teacher, prog.courses[0].course, 2)
    _hours(teacher, prog.courses[1].course, 4)
    from app.certification.models import PracticalSubmission

    sub = PracticalSubmission(program_id=prog.id, user_id=teacher.id, storage_key="t/x", original_name="x.pdf",
                              mime="application/pdf")
    db.session.add(sub)
    db.session.flush()
    services.review_practical(sub, reviewer, {"analysis": 30, "design": 30, "assessment": 15})


def test_teacher_enrolls_and_sees_what_is_missing(client, login_as, program):
    teacher = login_as("teacher")
    page = client.get(f"/training/{program.id}").get_data(as_text=True)
    assert "报名参加" in page
    response = client.form(f"/training/{program.id}/enroll", {"profession_id": "0"},
                           token_from=f"/training/{program.id}")
    assert response.status_code == 302
    _hours(teacher, program.courses[0].course, 2)
    db.session.commit()
    page = client.get(f"/training/{program.id}").get_data(as_text=True)
    assert "还差 3.5 学时：工学一体化课程考核实施" in page
    assert "还差 4 学时（总学时 6）" in page
    assert "尚未提交实践任务：学习任务分析与策划" in page
    refused = client.form(f"/training/{program.id}/certificate", {}, token_from=f"/training/{program.id}")
    assert refused.status_code == 400
    assert "还差 3.5 学时：工学一体化课程考核实施" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Certificate.id).where(Certificate.user_id == teacher.id)) is None


def test_a_few_seconds_short_reads_as_missing_hours_not_as_zero(client, login_as, program):
    """Watching is credited to the second: 100 s short of 2 学时 must read "还差 0.1 学时", and the earned column must
    not round up to the requirement next to an unmet rule."""
    teacher = login_as("teacher")
    services.enroll(program, teacher)
    services.record_credit(teacher, seconds=2 * 3600 - 100, source="offline_training", evidence="file:sign-in.xlsx",
                           course_id=program.courses[0].course_id)
    db.session.commit()
    page = client.get(f"/training/{program.id}").get_data(as_text=True)
    assert "还差 0.1 学时：工学一体化课程教学实施" in page
    assert "还差 0 学时" not in page
    assert "还差 4.1 学时（总学时 6）" in page  # 4.03 short, rounded up
    assert '<td class="text-end">1.9</td><td class="text-end">2.0</td>' in page


def test_enrolling_twice_at_the_same_moment_keeps_one_enrollment(client, login_as, program, monkeypatch):
    """A double tap on 报名参加 passes the "already enrolled?" read twice (simulated by hiding the first row from
    it): the second request lands on the program page instead of failing on the unique constraint."""
    from app.certification.models import ProgramEnrollment

    teacher = login_as("teacher")
    url = f"/training/{program.id}"
    assert client.form(f"{url}/enroll", {"profession_id": "0"}, token_from=url).status_code == 302
    real = services.enrollment_of
    monkeypatch.setattr(services, "enrollment_of", lambda prog, user: None)
    assert client.form(f"{url}/enroll", {"profession_id": "0"}, token_from=url).status_code == 302
    monkeypatch.undo()
    rows = list(db.session.scalars(select(ProgramEnrollment).where(ProgramEnrollment.user_id == teacher.id)))
    assert len(rows) == 1 and real(program, teacher).id == rows[0].id


def test_video_watching_counts_for_the_course_that_lists_the_video(app, program, make_video):
    from app.certification.models import CreditHourEntry

    teacher = factories.user("teacher")
    video = make_video(duration=3600)
    courses.add_activity(program.courses[1].course, kind="video", title="视频", target_id=video.id,
                         rule={"min_percent": 90})
    services.enroll(program, teacher)
    db.session.add(CreditHourEntry(user_id=teacher.id, seconds=1800, source="video_watch", evidence="watch_session:1",
                                   video_id=video.id))
    db.session.flush()
    hours = services.gather_facts(program, teacher).course_hours
    assert hours == {program.courses[0].course_id: 0.0, program.courses[1].course_id: 0.5}


def test_a_video_listed_twice_in_a_course_counts_its_watching_once(app, program, make_video):
    from app.certification.models import CreditHourEntry

    teacher = factories.user("teacher")
    video = make_video(duration=3600)
    for n in range(2):  # e.g. once in the first lesson and again as revision
        courses.add_activity(program.courses[1].course, kind="video", title=f"视频{n}", target_id=video.id,
                             rule={"min_percent": 90})
    services.enroll(program, teacher)
    db.session.add(CreditHourEntry(user_id=teacher.id, seconds=1800, source="video_watch", evidence="watch_session:1",
                                   video_id=video.id))
    db.session.flush()
    facts = services.gather_facts(program, teacher)
    assert facts.course_hours == {program.courses[0].course_id: 0.0, program.courses[1].course_id: 0.5}
    assert facts.total_hours == 0.5


def test_certificate_issued_when_complete_with_serial_and_random_code(app, program):
    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    _complete(program, teacher)
    assert all(o.ok for o in services.check_requirements(program, teacher))
    cert = services.issue_certificate(program, teacher)
    other = factories.user("teacher")
    services.enroll(program, other)
    _complete(program, other)
    second = services.issue_certificate(program, other)
    year = cert.issued_on.year
    assert cert.serial.startswith(f"GX-{year}-") and len(cert.serial) == len(f"GX-{year}-000001")
    assert int(second.serial[-6:]) == int(cert.serial[-6:]) + 1
    assert len(cert.code) == 32 and cert.code != second.code
    assert cert.expires_on.year == year + 3
    assert [e.action for e in db.session.scalars(select(CertificateEvent).where(
        CertificateEvent.certificate_id == cert.id))] == ["issued"]


def test_a_second_request_at_the_same_moment_is_told_the_certificate_exists(client, login_as, program, monkeypatch):
    """Two clicks on 申请证书 both pass the "already issued?" read before either writes (simulated by hiding the
    first certificate from that read): the second is refused as a conflict, not a server error."""
    teacher = login_as("teacher")
    services.enroll(program, teacher)
    _complete(program, teacher)
    first = services.issue_certificate(program, teacher)
    db.session.commit()
    monkeypatch.setattr(services, "certificate_of", lambda prog, user: None)
    response = client.form(f"/training/{program.id}/certificate", {}, token_from=f"/training/{program.id}")
    assert response.status_code == 409 and "该教师已取得本项目证书" in response.get_data(as_text=True)
    monkeypatch.undo()
    assert [c.serial for c in db.session.scalars(select(Certificate).where(Certificate.user_id == teacher.id))] == [
        first.serial]


def test_prerequisite_and_exam_rules_give_reasons(app, program):
    levels = list(db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)))
    higher = services.save_program(key="p-mid", title="中级培训", level=levels[1], prerequisite_level=levels[0])
    teacher = factories.user("teacher")
    services.enroll(higher, teacher)
    reasons = [o.reason for o in services.check_requirements(higher, teacher) if not o.ok]
    assert reasons == ["需先取得初级工学一体化教师证书"]
    facts = rules.Facts(program=higher, course_hours={}, total_hours=0, exam_passed=False, practical_score=None,
                        practical_submitted=False, has_prerequisite=True)
    higher.exam_id = 1
    assert [o.reason for o in rules.evaluate(facts) if not o.ok] == ["结业考试尚未通过"]


def test_verify_page_shows_database_facts_masked_and_revocation(client, login_as, program):
    teacher = factories.user("teacher", full_name="欧阳小明")
    services.enroll(program, teacher)
    _complete(program, teacher)
    cert = services.issue_certificate(program, teacher)
    db.session.commit()
    page = client.get(f"/verify/{cert.code}?name=冒充者&status=valid").get_data(as_text=True)
    page = page.split('name="next"')[0]  # the footer's language switch echoes the URL; the page itself must not
    assert "证书有效" in page and "欧***" in page and "欧阳小明" not in page and "冒充者" not in page
    assert cert.school_name in page and "初级工学一体化教师" in page
    assert cert.serial in page  # what ties the page to the paper in front of the verifier
    admin = login_as("platform_admin")
    response = client.form(f"/certificates/{cert.id}/revoke", {"reason": "培训记录造假"},
                           token_from=f"/certificates/{cert.id}")
    assert response.status_code == 302
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "此证书已被撤销" in page and "培训记录造假" in page
    events = list(db.session.scalars(select(CertificateEvent.action).where(CertificateEvent.certificate_id == cert.id)
                                     .order_by(CertificateEvent.id)))
    assert events == ["issued", "revoked"] and admin


def test_verify_gives_no_enumeration_and_is_rate_limited(client, program):
    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    _complete(program, teacher)
    cert = services.issue_certificate(program, teacher)
    db.session.commit()
    unknown = client.get("/verify/" + "A" * 32)
    by_serial = client.get(f"/verify/{cert.serial}")
    assert unknown.status_code == by_serial.status_code == 404
    # The same page, up to the footer's language switch (which echoes the URL) and the CSRF token (signed with
    # the current second, so two requests a second apart differ there).
    def _page(response) -> bytes:
        return re.sub(rb'name="csrf-token" content="[^"]*"', b"", response.get_data()).split(b'name="next"')[0]

    assert _page(unknown) == _page(by_serial)
    # The limit counts in fixed one-minute windows: requests that straddle a window boundary may spread over two
    # windows, so twice the limit and two more must meet a 429 however slow the machine (unless it takes > 60 s).
    limit = int(client.application.config.get("CERT_VERIFY_RATE_LIMIT", "30/minute").split("/")[0])
    statuses = [client.get(f"/verify/x{n}").status_code for n in range(2 * limit + 2)]
    assert 429 in statuses


def test_expired_certificate_says_so(client, program):
    from datetime import date

    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    _complete(program, teacher)
    cert = services.issue_certificate(program, teacher)
    cert.expires_on = date(2000, 1, 1)
    db.session.commit()
    assert "此证书已过期" in client.get(f"/verify/{cert.code}").get_data(as_text=True)


def _qr_modules(pdf: bytes) -> set[tuple[int, int]]:
    """The dark modules of the QR code drawn in a PDF page (the filled path of ``re`` squares)."""
    import re
    import zlib

    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            text = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue
        found = re.search(r"q 0 g (.*?) f Q", text)
        if found:
            rects = [tuple(map(float, r)) for r in re.findall(r"([\d.-]+) ([\d.-]+) ([\d.-]+) ([\d.-]+) re", found.group(1))]
            size = -rects[0][3]
            left, top = min(r[0] for r in rects), max(r[1] for r in rects)
            return {(round((top - y) / size), round((x - left) / size) + c) for x, y, w, _h in rects
                    for c in range(round(w / size))}
    return set()


def _dark_modules(data: str) -> set[tuple[int, int]]:
    import segno

    matrix = segno.make(data, error="m", mask=0).matrix
    cells = {(r, c) for r, row in enumerate(matrix) for c, v in enumerate(row) if v}
    top, left = min(r for r, _c in cells), min(c for _r, c in cells)
    return {(r - top, c - left) for r, c in cells}


def test_pdf_has_qr_code_and_only_owner_may_download(app, client, login_as, program):
    teacher = login_as("teacher")
    services.enroll(program, teacher)
    _complete(program, teacher)
    cert = services.issue_certificate(program, teacher)
    db.session.commit()
    response = client.get(f"/certificates/{cert.id}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    verify_url = f"http://localhost/verify/{cert.code}"
    assert _qr_modules(response.data) == _dark_modules(verify_url)  # the printed QR code encodes the verify URL
    other = app.test_client()
    login_as("teacher", client_=other)
    assert other.get(f"/certificates/{cert.id}/certificate.pdf").status_code == 404


def test_a_revoked_certificate_is_not_handed_out_again(client, login_as, program):
    teacher = login_as("teacher")
    services.enroll(program, teacher)
    _complete(program, teacher)
    cert = services.issue_certificate(program, teacher)
    services.revoke_certificate(cert, "培训记录造假", None)
    db.session.commit()
    page = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert "此证书已被撤销" in page and "certificate.pdf" not in page and "credential.jwt" not in page
    for url in (f"/certificates/{cert.id}/certificate.pdf", f"/certificates/{cert.id}/credential.jwt"):
        response = client.get(url)
        assert response.status_code == 409 and "证书已被撤销，不能再下载" in response.get_data(as_text=True)


def test_open_badge_credential_verifies_with_published_key(client, login_as, program):
    teacher = login_as("teacher")
    services.enroll(program, teacher)
    _complete(program, teacher)
    cert = services.issue_certificate(program, teacher)
    db.session.commit()
    token = client.get(f"/certificates/{cert.id}/credential.jwt").get_data(as_text=True)
    jwk = client.get("/.well-known/jwks.json").get_json()["keys"][0]
    payload = credentials.verify_jwt(token, jwk)
    assert "OpenBadgeCredential" in payload["type"]
    assert payload["credentialSubject"]["achievement"]["name"] == program.title
    assert payload["id"].endswith(f"/verify/{cert.code}")
    # an offline verifier checks the validity window from the registered claims (the dates are Beijing dates) ...
    from datetime import datetime
    from zoneinfo import ZoneInfo

    beijing = ZoneInfo("Asia/Shanghai")
    assert datetime.fromtimestamp(payload["nbf"], beijing).date() == cert.issued_on
    assert datetime.fromtimestamp(payload["exp"], beijing).date() == cert.expires_on
    # ... and the holder from the subject's identifier (OB3: an id or an identifier), hashed with its salt
    import hashlib

    identity = payload["credentialSubject"]["identifier"][0]
    assert identity["type"] == "IdentityObject" and identity["identityType"] == "name" and identity["hashed"]
    expected = hashlib.sha256((teacher.display_name + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    head, body, sig = token.split(".")
    forged = json.loads(credentials.b64url_decode(body))
    forged["credentialSubject"]["name"] = "别人"
    tampered = head + "." + credentials.b64url(json.dumps(forged).encode()) + "." + sig
    with pytest.raises(ValueError):
        credentials.verify_jwt(tampered, jwk)
    assert client.get("/issuer").get_json()["verificationMethod"][0]["x"] == jwk["x"]


def test_school_admin_enrolls_own_teachers_only(client, login_as, program):
    admin = login_as("school_admin")
    mine = factories.user("teacher", school_=admin.school)
    stranger = factories.user("teacher")
    db.session.commit()
    url = f"/training/{program.id}/enroll-teachers"
    assert client.form(url, {"teacher_ids": [str(stranger.id)]}, token_from=url).status_code == 400 or \
        services.enrollment_of(program, stranger) is None
    assert services.enrollment_of(program, stranger) is None
    assert client.form(url, {"teacher_ids": [str(mine.id)]}, token_from=url).status_code == 302
    assert services.enrollment_of(program, mine) is not None
    assert client.get(f"/training/{program.id}/teachers/{mine.id}").status_code == 200
    assert client.get(f"/training/{program.id}/teachers/{stranger.id}").status_code == 403
    unnamed = factories.user("teacher", school_=admin.school, full_name="")
    db.session.commit()
    page = client.get(f"/training/{program.id}/teachers/{unnamed.id}").get_data(as_text=True)
    assert f"正在查看 {unnamed.username} 的学习进度" in page  # not a blank where the name goes


def test_batch_issue_cli_issues_and_lists_refusals(runner, program):
    ready, missing = factories.user("teacher"), factories.user("teacher")
    for t in (ready, missing):
        services.enroll(program, t)
    _complete(program, ready)
    db.session.commit()
    result = runner.invoke(args=["certification", "issue", "--program", program.key])
    assert result.exit_code == 0, result.output
    assert "已发证 1 张，未发 1 人" in result.output and "还差 6 学时（总学时 6）" in result.output
    assert services.certificate_of(program, ready) is not None and services.certificate_of(program, missing) is None


def test_practical_upload_and_review_issues_automatically(app, client, login_as, program):
    from tests.media import samples

    teacher = login_as("teacher")
    services.enroll(program, teacher)
    _hours(teacher, program.courses[0].course, 2)
    _hours(teacher, program.courses[1].course, 4)
    db.session.commit()
    url = f"/training/{program.id}"
    response = client.form(f"{url}/practical", {"file": (io.BytesIO(samples.pdf(3)), "任务策划.pdf")}, token_from=url,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert "实践任务待评审" in client.get(url).get_data(as_text=True)
    reviewer = app.test_client()
    login_as("reviewer", client_=reviewer)
    sub = services.pending_practicals()[0]
    response = reviewer.form(f"/training/practicals/{sub.id}/review",
                           {"analysis": "35", "design": "30", "assessment": "15"}, token_from="/training/practicals")
    assert response.status_code == 302
    assert services.certificate_of(program, teacher) is not None


def test_a_reviewer_may_give_zero_points_for_a_criterion(app, client, login_as, program):
    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    sub = services.submit_practical(program, teacher, _upload("任务策划.pdf"))
    db.session.commit()
    login_as("reviewer")
    response = client.form(f"/training/practicals/{sub.id}/review",
                           {"analysis": "30", "design": "25", "assessment": "0"}, token_from="/training/practicals")
    assert response.status_code == 302
    db.session.refresh(sub)
    assert sub.score == 55 and sub.rubric_scores == {"analysis": 30, "design": 25, "assessment": 0}
    reasons = [o.reason for o in services.check_requirements(program, teacher) if not o.ok]
    assert "实践任务未达到 60 分：学习任务分析与策划" in reasons
    # a second review (another reviewer, or a crafted POST) does not overwrite the first
    other = app.test_client()
    login_as("reviewer", client_=other)
    again = other.form(f"/training/practicals/{sub.id}/review", {"analysis": "40", "design": "40", "assessment": "20"},
                       token_from="/training/practicals")
    assert again.status_code == 409
    db.session.refresh(sub)
    assert sub.score == 55


def test_the_review_list_names_the_task_program_and_teacher_in_constant_statements(client, login_as, program,
                                                                                   count_queries):
    login_as("reviewer")

    def submit(n):
        for _ in range(n):
            teacher = factories.user("teacher", full_name="李老师")
            services.enroll(program, teacher)
            services.submit_practical(program, teacher, _upload("任务策划.pdf"))
        db.session.commit()

    submit(1)
    with count_queries() as few:
        page = client.get("/training/practicals").get_data(as_text=True)
    assert "学习任务分析与策划" in page and "初级培训" in page and "李老师" in page and "及格分 60" in page
    submit(5)
    with count_queries() as many:
        page = client.get("/training/practicals").get_data(as_text=True)
    assert page.count("李老师") == 6
    assert many.count == few.count


def _upload(name: str):
    from werkzeug.datastructures import FileStorage

    from tests.media import samples

    return FileStorage(io.BytesIO(samples.pdf(2)), filename=name)


def test_program_page_statement_count_is_constant(client, login_as, program, count_queries):
    teacher = login_as("teacher")
    services.enroll(program, teacher)
    _hours(teacher, program.courses[0].course, 1)
    db.session.commit()
    with count_queries() as few:
        client.get(f"/training/{program.id}")
    for _ in range(20):
        _hours(teacher, program.courses[1].course, 0.1)
    db.session.commit()
    with count_queries() as many:
        client.get(f"/training/{program.id}")
    assert few.count == many.count


def test_batch_issue_writes_one_print_ready_pdf(runner, program, tmp_path):
    import re

    teachers = [factories.user("teacher") for _ in range(3)]
    for t in teachers:
        services.enroll(program, t)
        _complete(program, t)
    db.session.commit()
    out = tmp_path / "batch.pdf"
    result = runner.invoke(args=["certification", "issue", "--program", program.key, "--pdf", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b(?!s)", data)) == 3


def test_create_program_cli(runner, app):
    course = courses.create_course(title="教学场所使用管理", kind="training_course", is_shared=True)
    db.session.commit()
    result = runner.invoke(args=["certification", "create-program", "--key", "cli-mid", "--title", "中级培训",
                                 "--level", "integrated-teacher-intermediate", "--total-hours", "40",
                                 "--course", f"{course.id}:8", "--practical", "学习任务分析与策划",
                                 "--prerequisite", "integrated-teacher-junior"])
    assert result.exit_code == 0, result.output
    program = services.program_by_key("cli-mid")
    assert program.courses[0].min_hours == 8 and program.prerequisite_level.key == "integrated-teacher-junior"
    bad = runner.invoke(args=["certification", "create-program", "--key", "x", "--title", "x",
                              "--level", "integrated-teacher-junior", "--prerequisite", "integrated-teacher-senior"])
    assert bad.exit_code != 0 and "先修层级必须低于本项目的层级" in bad.output
