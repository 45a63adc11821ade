"""Images (插图) as a media kind: uploaded as drafts, reviewed, served only once approved."""
from __future__ import annotations

import io

from PIL import Image

from app.core import uploads
from app.extensions import db
from app.media import services
from app.media.models import Image as ImageResource
from app.review import services as review
from tests import factories
from tests.media import samples


def _image(author, profession, *, approved: bool, color=(200, 30, 30)) -> ImageResource:
    stored = uploads.read_bytes(samples.png(size=(80, 40), color=color), "制动片示意图.png", ["image"],
                                prefix=services.PREFIX)
    resource = services.add_resource(author, stored, profession_id=profession.id)
    if approved:
        review.submit(resource, author)
        review.approve(resource, factories.user("reviewer"))
    db.session.commit()
    return resource


def test_uploaded_picture_becomes_a_draft_image_with_a_markdown_snippet(client, login_as, profession):
    teacher = login_as("teacher")
    r = client.form("/media/upload", {"file": (io.BytesIO(samples.png()), "示意图.png"), "profession_id": profession.id,
                                      "title": "制动片示意图", "learning_task_id": 0},
                    token_from="/media/upload", content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    image = db.session.query(ImageResource).filter_by(created_by_id=teacher.id).one()
    assert image.review_state == "draft" and image.file.kind == "image"
    page = client.get(f"/media/images/{image.id}").get_data(as_text=True)
    assert f"![制动片示意图](/media/images/{image.id}/file)" in page
    assert client.get(f"/media/images/{image.id}/file").status_code == 200  # the author sees the draft


def test_learners_never_get_an_unapproved_image(client, login_as, profession):
    author = factories.user("teacher")
    draft = _image(author, profession, approved=False)
    published = _image(author, profession, approved=True, color=(10, 10, 200))
    login_as("student")
    assert client.get(f"/media/images/{draft.id}/file").status_code == 404
    assert client.get(f"/media/images/{draft.id}").status_code == 404
    r = client.get(f"/media/images/{published.id}/file")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert Image.open(io.BytesIO(r.data)).size == (80, 40)
    listing = client.get(f"/media/professions/{profession.id}?kind=image").get_data(as_text=True)
    assert f"/media/images/{published.id}" in listing and f"/media/images/{draft.id}" not in listing
