"""Pictures in question text reach the students who were shown the question in an exam, and nobody else."""
from __future__ import annotations

import io

from PIL import Image

from app.extensions import db
from app.questions import media
from tests import factories
from tests.exams import builders

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def test_student_sees_the_picture_of_a_question_in_their_exam(client, login_as):
    bank = builders.bank()
    picture = media.store_question_file(bank, "电路图.png", PNG)
    second = io.BytesIO()
    Image.new("RGB", (2, 1), "red").save(second, "PNG")
    other = media.store_question_file(bank, "答案图.png", second.getvalue())
    assert other.id != picture.id
    url = media.file_url(picture)
    question = builders.question(bank, "single_choice", text=f'<p>看图回答</p><p><img src="{url}" alt=""></p>')
    student = login_as("student")
    outsider = factories.user("student")
    exam = builders.fixed_exam([question], students=[student, outsider])
    db.session.commit()
    assert client.get(url).status_code == 403  # not before the exam shows it
    started = client.form(f"/exams/{exam.id}/start", {}, token_from=f"/exams/{exam.id}")
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert f'src="{url}"' in page
    shown = client.get(url)
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert client.get(media.file_url(other)).status_code == 403  # a file of the bank not in the question
