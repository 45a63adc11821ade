"""Essay answers with attached photos/documents (stored through app/core/uploads.py)."""
from __future__ import annotations

import io

from PIL import Image

from app.extensions import db
from tests import factories
from tests.exams import builders
from tests.exams.test_api import bearer


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _setup():
    teacher = factories.user("teacher")
    student = factories.user("student", school_=teacher.school)
    other = factories.user("student", school_=teacher.school)
    bank = builders.bank()
    essay = builders.question(bank, "essay", data={"response_format": "text", "attachments": 2})
    plain = builders.question(bank, "essay")
    exam = builders.fixed_exam([essay, plain], students=[student, other], creator=teacher)
    db.session.commit()
    return teacher, student, other, exam


def test_student_attaches_a_photo_to_an_essay_and_the_teacher_sees_it(client, login_as):
    teacher, student, other, exam = _setup()
    h, h_other = bearer(student), bearer(other)
    db.session.commit()
    attempt = client.post(f"/api/v1/exams/{exam.id}/attempts", headers=h).get_json()
    assert attempt["items"][0]["attachments"] == 2
    url = f"/api/v1/attempts/{attempt['attempt_id']}/items/1/files"
    up = client.post(url, data={"file": (io.BytesIO(png()), "接线照片.png")}, headers=h,
                     content_type="multipart/form-data")
    assert up.status_code == 201, up.get_data(as_text=True)
    file_id = up.get_json()["id"]
    assert up.get_json()["name"] == "接线照片.png"
    saved = client.put(f"/api/v1/attempts/{attempt['attempt_id']}/items/1",
                       json={"response": {"text": "见照片", "files": [file_id]}, "seq": 1}, headers=h)
    assert saved.status_code == 200
    # A file id of another slot (or another student) is refused.
    foreign = client.put(f"/api/v1/attempts/{attempt['attempt_id']}/items/2",
                         json={"response": {"text": "x", "files": [file_id]}, "seq": 1}, headers=h)
    assert foreign.status_code == 400
    no_files_here = client.post(f"/api/v1/attempts/{attempt['attempt_id']}/items/2/files",
                                data={"file": (io.BytesIO(png()), "a.png")}, headers=h,
                                content_type="multipart/form-data")
    assert no_files_here.status_code == 400
    not_an_image = client.post(url, data={"file": (io.BytesIO(b"MZ\x90\x00fake"), "photo.png")}, headers=h,
                               content_type="multipart/form-data")
    assert not_an_image.status_code == 400
    assert client.post(url, data={"file": (io.BytesIO(png()), "a.png")}, headers=h_other,
                       content_type="multipart/form-data").status_code == 404
    shown = client.get(f"/api/v1/attempts/{attempt['attempt_id']}", headers=h).get_json()
    assert shown["items"][0]["files"][0]["id"] == file_id
    file_url = shown["items"][0]["files"][0]["url"]
    assert client.get(file_url, headers=h).status_code == 200
    assert client.get(file_url, headers=h_other).status_code == 404
    client.post(f"/api/v1/attempts/{attempt['attempt_id']}/submit", headers=h)
    login_as(user=teacher)
    queue = client.get(f"/exams/{exam.id}/grading").get_data(as_text=True)
    assert "接线照片.png" in queue
    picture = client.get(file_url)
    assert picture.status_code == 200 and picture.headers["Content-Type"].startswith("image/")
    assert picture.headers["X-Content-Type-Options"] == "nosniff"
