"""Feedback files on gradebook grades (反馈附件, like Moodle's feedback files): a teacher attaches a marked-up photo
of the practical piece or a PDF of comments to a learner's grade; the learner sees them on their grade report once
the item is released; classmates and other courses' teachers cannot open them."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from app.core import storage
from app.courses import services as courses
from app.extensions import db
from app.grading import services
from app.grading.models import GradeFile
from app.media.models import MediaFile
from tests import factories
from tests.courses import builders
from tests.media import samples
from tests.tasks.builders import jpeg


def _as(app, login_as, user):
    c = app.test_client()
    login_as(user=user, client_=c)
    return c


def _book(teacher, students=2):
    course, learners = builders.course(teacher, students=students)
    practical = services.save_item(course, None, name="实操考核", max_points=100)
    return course, learners, practical


def _cell(course, item, student) -> str:
    return f"/courses/{course.id}/gradebook/grades/{item.id}/{student.id}"


def test_teacher_attaches_a_phone_photo_and_a_pdf_and_the_learner_sees_them_once_released(app, login_as):
    teacher = factories.user("teacher")
    course, (student, classmate), practical = _book(teacher)
    practical.hidden = True  # not released yet
    db.session.commit()
    client = _as(app, login_as, teacher)
    cell = _cell(course, practical, student)
    assert "附加反馈文件" in client.get(cell).get_data(as_text=True)
    photo = jpeg(size=(4000, 3000), orientation=6)
    response = client.form(f"{cell}/files", {"files": [(io.BytesIO(photo), "工件.jpg"), (io.BytesIO(samples.pdf()), "评语.pdf")]},
                           token_from=cell, content_type="multipart/form-data")
    assert response.status_code == 302
    image, pdf = services.grade_files(practical, student.id)
    assert (image.media_file.width, image.media_file.height) == (1920, 2560)  # upright and shrunk
    from PIL import Image

    with Image.open(storage.get_storage().path(image.media_file.storage_key)) as stored:
        assert not stored.getexif().get(0x0112)
    assert f"/courses/{course.id}/grade-files/{image.id}" in client.get(cell).get_data(as_text=True)

    learner = _as(app, login_as, student)
    url = f"/courses/{course.id}/grade-files/{image.id}"
    assert learner.get(url).status_code == 403  # the item is not released yet
    assert url not in learner.get(f"/courses/{course.id}/grades").get_data(as_text=True)
    practical.hidden = False
    db.session.commit()
    report = learner.get(f"/courses/{course.id}/grades").get_data(as_text=True)
    assert "老师的反馈文件" in report and url in report and "评语.pdf" in report
    served = learner.get(url)
    assert served.status_code == 200 and served.headers["X-Content-Type-Options"] == "nosniff"
    document = learner.get(f"/courses/{course.id}/grade-files/{pdf.id}")
    assert document.headers["Content-Disposition"].startswith("attachment")

    assert _as(app, login_as, classmate).get(url).status_code == 403
    other_teacher = factories.user("teacher")
    other_course, _ = builders.course(other_teacher)
    db.session.commit()
    stranger = _as(app, login_as, other_teacher)
    assert stranger.get(url).status_code == 403
    assert stranger.get(f"/courses/{other_course.id}/grade-files/{image.id}").status_code == 404  # not its course


def test_only_teachers_attach_and_bad_files_keep_nothing(app, login_as):
    teacher = factories.user("teacher")
    course, (student, _classmate), practical = _book(teacher)
    mentor = factories.user("mentor")
    courses.assign_mentor(course, student, mentor)
    db.session.commit()
    cell = _cell(course, practical, student)
    learner = _as(app, login_as, student)
    denied = learner.form(f"{cell}/files", {"files": [(io.BytesIO(jpeg()), "s.jpg")]},
                          token_from=f"/courses/{course.id}/grades", content_type="multipart/form-data")
    assert denied.status_code == 403

    client = _as(app, login_as, teacher)
    media_before = db.session.scalar(select(func.count(MediaFile.id)))
    bad = client.form(f"{cell}/files", {"files": [(io.BytesIO(jpeg()), "ok.jpg"), (io.BytesIO(b"MZ\x90 no"), "x.pdf")]},
                      token_from=cell, content_type="multipart/form-data")
    assert bad.status_code == 400
    db.session.expire_all()
    assert services.grade_files(practical, student.id) == []
    assert db.session.scalar(select(func.count(MediaFile.id))) == media_before
    six = [(io.BytesIO(jpeg()), f"{n}.jpg") for n in range(services.MAX_GRADE_FILES + 1)]
    too_many = client.form(f"{cell}/files", {"files": six}, token_from=cell, content_type="multipart/form-data")
    assert too_many.status_code == 400 and "最多附加" in too_many.get_data(as_text=True)
    outsider = factories.user("student")
    db.session.commit()
    not_learner = client.form(f"/courses/{course.id}/gradebook/grades/{practical.id}/{outsider.id}/files",
                              {"files": [(io.BytesIO(jpeg()), "o.jpg")]}, token_from=cell,
                              content_type="multipart/form-data")
    assert not_learner.status_code == 403
    assert db.session.scalar(select(func.count(GradeFile.id))) == 0

    assert client.form(f"{cell}/files", {"files": [(io.BytesIO(jpeg()), "ok.jpg")]}, token_from=cell,
                       content_type="multipart/form-data").status_code == 302
    (attached,) = services.grade_files(practical, student.id)
    # The learner's mentor sees what the learner sees.
    assert _as(app, login_as, mentor).get(f"/courses/{course.id}/grade-files/{attached.id}").status_code == 200


def test_grade_report_statements_do_not_grow_with_feedback_files(app, login_as, count_queries):
    from werkzeug.datastructures import FileStorage

    teacher = factories.user("teacher")
    course, (student, _c), practical = _book(teacher)
    theory = services.save_item(course, None, name="理论考试", max_points=100)
    services.attach_grade_files(course, practical, student.id, [FileStorage(io.BytesIO(jpeg()), "1.jpg")], by=teacher)
    db.session.commit()
    learner = _as(app, login_as, student)
    url = f"/courses/{course.id}/grades"
    learner.get(url)
    with count_queries() as one:
        assert learner.get(url).status_code == 200
    services.attach_grade_files(course, theory, student.id,
                                [FileStorage(io.BytesIO(jpeg()), f"{n}.jpg") for n in range(3)], by=teacher)
    db.session.commit()
    learner.get(url)
    with count_queries() as four:
        html = learner.get(url).get_data(as_text=True)
    assert html.count("/grade-files/") == 4 * 2  # link and thumbnail of each
    assert four.count == one.count
