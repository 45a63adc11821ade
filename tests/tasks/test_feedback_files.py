"""Feedback files (反馈附件): a teacher or mentor attaches marked-up photos or a PDF of comments to their evaluation;
the student sees them with the evaluation; peer reviewers, other students and unassigned mentors cannot open them;
uploads go through the upload service (phone photos upright and shrunk) and a refused file keeps nothing."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from app.core import storage
from app.courses import services as courses
from app.extensions import db
from app.media.models import MediaFile
from app.tasks import services
from app.tasks.models import Evaluation, EvaluationFile, PeerReview
from tests import factories
from tests.media import samples
from tests.tasks import builders


def _scores(a) -> dict:
    return {f"c.{c.id}": c.max_points * 0.8 for c in a.rubric.criteria}


def _as(app, login_as, user):
    """A fresh client logged in as ``user`` (each test plays several people)."""
    c = app.test_client()
    login_as(user=user, client_=c)
    return c


def _sub_url(sub) -> str:
    return f"/tasks/submissions/{sub.id}"


def _feedback(evaluation) -> list[EvaluationFile]:
    return list(db.session.scalars(select(EvaluationFile).where(EvaluationFile.evaluation_id == evaluation.id)
                                   .order_by(EvaluationFile.id)))


def test_teacher_attaches_a_phone_photo_and_a_pdf_and_the_student_sees_them(app, login_as):
    a, course, teacher, (student, peer) = builders.assignment(students=2, peer_count=1)
    sub = services.submission_of(a, student)
    db.session.commit()
    client = _as(app, login_as, teacher)
    page = f"{_sub_url(sub)}/evaluate/teacher"
    assert 'type="file"' in client.get(page).get_data(as_text=True)
    photo = builders.jpeg(size=(4000, 3000), orientation=6)  # a phone photo, meant to be seen portrait
    response = client.form(page, {**_scores(a), "comment": "见批注照片",
                                  "files": [(io.BytesIO(photo), "批注.jpg"), (io.BytesIO(samples.pdf()), "评语.pdf")]},
                           token_from=page, content_type="multipart/form-data")
    assert response.status_code == 302
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.submission_id == sub.id))
    image, pdf = _feedback(evaluation)
    assert (image.media_file.width, image.media_file.height) == (1920, 2560)
    from PIL import Image

    with Image.open(storage.get_storage().path(image.media_file.storage_key)) as stored:
        assert stored.size == (1920, 2560) and not stored.getexif().get(0x0112)

    client = _as(app, login_as, student)
    html = client.get(_sub_url(sub)).get_data(as_text=True)
    assert f"/tasks/feedback/{image.id}" in html and "评语.pdf" in html
    assert "附加反馈文件" not in html  # only the grader adds files
    served = client.get(f"/tasks/feedback/{image.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    document = client.get(f"/tasks/feedback/{pdf.id}")
    assert document.status_code == 200 and document.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''" in document.headers["Content-Disposition"]


def test_peer_reviewers_other_students_and_unassigned_mentors_cannot_open_feedback(app, login_as):
    a, course, teacher, (student, peer, other) = builders.assignment(students=3, peer_count=1)
    sub = services.submission_of(a, student)
    reviewer_id = db.session.scalar(select(PeerReview.reviewer_id).where(PeerReview.submission_id == sub.id))
    reviewer = next(u for u in (peer, other) if u.id == reviewer_id)
    outsider = next(u for u in (peer, other) if u.id != reviewer_id)
    evaluation = services.evaluate(sub, "teacher", teacher, {str(c.id): 5 for c in a.rubric.criteria})
    from werkzeug.datastructures import FileStorage

    (attached,) = services.attach_feedback(evaluation, [FileStorage(io.BytesIO(builders.jpeg()), "m.jpg")], by=teacher)
    mentor = factories.user("mentor")
    courses.enrol_user(course, mentor, role="mentor")
    db.session.commit()
    url = f"/tasks/feedback/{attached.id}"

    client = _as(app, login_as, reviewer)
    page = client.get(_sub_url(sub))
    assert page.status_code == 200 and url not in page.get_data(as_text=True)  # the peer sees the work, not this
    assert client.get(url).status_code == 403
    client = _as(app, login_as, outsider)
    assert client.get(url).status_code == 403
    client = _as(app, login_as, mentor)  # a mentor of the course, not assigned to this student
    assert client.get(url).status_code == 403
    courses.assign_mentor(course, student, mentor)
    db.session.commit()
    assert client.get(url).status_code == 200
    assert client.get("/tasks/feedback/999999").status_code == 404


def test_mentor_adds_files_later_and_only_the_grader_may(app, login_as):
    a, course, teacher, (student,) = builders.assignment(students=1, peer_count=0)
    mentor = factories.user("mentor")
    courses.assign_mentor(course, student, mentor)
    sub = services.submission_of(a, student)
    scores = {str(c.id): 5 for c in a.rubric.criteria}
    mentor_eval = services.evaluate(sub, "mentor", mentor, scores, "现场操作规范")
    self_eval = services.evaluate(sub, "self", student, scores)
    db.session.commit()

    client = _as(app, login_as, mentor)
    assert "附加反馈文件" in client.get(_sub_url(sub)).get_data(as_text=True)
    add = f"/tasks/evaluations/{mentor_eval.id}/files"
    ok = client.form(add, {"files": [(io.BytesIO(builders.jpeg()), "现场.jpg")]}, token_from=_sub_url(sub),
                     content_type="multipart/form-data")
    assert ok.status_code == 302 and len(_feedback(mentor_eval)) == 1
    nothing = client.form(add, {}, token_from=_sub_url(sub), content_type="multipart/form-data")
    assert nothing.status_code == 400 and "请选择要上传的照片或文件" in nothing.get_data(as_text=True)
    no_csrf = client.post(add, data={"files": [(io.BytesIO(builders.jpeg()), "x.jpg")]},
                          content_type="multipart/form-data")
    assert no_csrf.status_code == 400 and len(_feedback(mentor_eval)) == 1

    client = _as(app, login_as, teacher)  # a teacher cannot add files to the mentor's evaluation
    denied = client.form(add, {"files": [(io.BytesIO(builders.jpeg()), "t.jpg")]}, token_from=_sub_url(sub),
                         content_type="multipart/form-data")
    assert denied.status_code == 403
    client = _as(app, login_as, student)  # nor a student to their self-evaluation (students give points and comments only)
    own = client.form(f"/tasks/evaluations/{self_eval.id}/files", {"files": [(io.BytesIO(builders.jpeg()), "s.jpg")]},
                      token_from=_sub_url(sub), content_type="multipart/form-data")
    assert own.status_code == 403
    assert client.get(f"/tasks/feedback/{_feedback(mentor_eval)[0].id}").status_code == 200


def test_a_refused_file_keeps_none_of_the_batch_and_the_count_is_limited(app, login_as):
    a, course, teacher, (student,) = builders.assignment(students=1, peer_count=0)
    sub = services.submission_of(a, student)
    evaluation = services.evaluate(sub, "teacher", teacher, {str(c.id): 5 for c in a.rubric.criteria})
    db.session.commit()
    client = _as(app, login_as, teacher)
    add = f"/tasks/evaluations/{evaluation.id}/files"
    media_before = db.session.scalar(select(func.count(MediaFile.id)))
    bad = client.form(add, {"files": [(io.BytesIO(builders.jpeg()), "ok.jpg"),
                                      (io.BytesIO(b"MZ\x90\x00 not a picture"), "virus.jpg")]},
                      token_from=_sub_url(sub), content_type="multipart/form-data")
    assert bad.status_code == 400
    db.session.expire_all()
    assert _feedback(evaluation) == [] and db.session.scalar(select(func.count(MediaFile.id))) == media_before
    six = [(io.BytesIO(builders.jpeg()), f"{n}.jpg") for n in range(services.MAX_FEEDBACK_FILES + 1)]
    too_many = client.form(add, {"files": six}, token_from=_sub_url(sub), content_type="multipart/form-data")
    assert too_many.status_code == 400 and "最多附加" in too_many.get_data(as_text=True)
    assert _feedback(evaluation) == []


def test_submission_page_statements_do_not_grow_with_feedback_files(app, login_as, count_queries):
    from werkzeug.datastructures import FileStorage

    a, course, teacher, (student,) = builders.assignment(students=1, peer_count=0)
    sub = services.submission_of(a, student)
    evaluation = services.evaluate(sub, "teacher", teacher, {str(c.id): 5 for c in a.rubric.criteria})
    services.attach_feedback(evaluation, [FileStorage(io.BytesIO(builders.jpeg()), "1.jpg")], by=teacher)
    db.session.commit()
    client = _as(app, login_as, student)
    client.get(_sub_url(sub))
    with count_queries() as one:
        assert client.get(_sub_url(sub)).status_code == 200
    services.attach_feedback(evaluation, [FileStorage(io.BytesIO(builders.jpeg()), f"{n}.jpg") for n in range(3)],
                             by=teacher)
    db.session.commit()
    client.get(_sub_url(sub))  # as before the first count: the session's first request after a commit
    with count_queries() as four:
        html = client.get(_sub_url(sub)).get_data(as_text=True)
    assert html.count("/tasks/feedback/") == 4 * 2  # link and thumbnail of each
    assert four.count == one.count
