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


def test_approved_pictures_are_a_kind_of_the_resource_package_coverage_and_search(client, login_as, profession,
                                                                                  learning_task, count_queries):
    author = factories.user("teacher")
    stored = uploads.read_bytes(samples.png(size=(80, 40)), "制动片示意图.png", ["image"], prefix=services.PREFIX)
    picture = services.add_resource(author, stored, profession_id=profession.id, title="制动片磨损示意图",
                                    learning_task_id=learning_task.id)
    review.submit(picture, author)
    review.approve(picture, factories.user("reviewer"))
    stored = uploads.read_bytes(samples.png(color=(1, 2, 3)), "草稿.png", ["image"], prefix=services.PREFIX)
    services.add_resource(author, stored, profession_id=profession.id, title="未审核的示意图",
                          learning_task_id=learning_task.id)
    db.session.commit()
    login_as("student")
    url = f"/professions/{profession.id}"
    with count_queries() as few:
        page = client.get(url).get_data(as_text=True)
    assert f'<span class="badge text-bg-info">插图</span> <a href="/media/images/{picture.id}">制动片磨损示意图</a>' in page
    assert "PNG 80×40" in page and "未审核的示意图" not in page
    assert '<option value="image"' in page  # the resource-kind filter offers pictures
    only = client.get(url + "?kind=image").get_data(as_text=True)
    assert "制动片磨损示意图" in only
    for i in range(3):
        stored = uploads.read_bytes(samples.png(color=(i, 9, 9)), f"图{i}.png", ["image"], prefix=services.PREFIX)
        more = services.add_resource(author, stored, profession_id=profession.id, title=f"示意图{i}",
                                     learning_task_id=learning_task.id)
        review.submit(more, author)
        review.approve(more, factories.user("reviewer"))
    db.session.commit()
    with count_queries() as many:
        assert "示意图2" in client.get(url).get_data(as_text=True)
    assert many.count == few.count

    coverage = client.get(f"/professions/{profession.id}/coverage").get_data(as_text=True)
    assert 'data-testid="lacking-image"' in coverage and "缺少插图：0 个学习任务" in coverage
    assert "<th>插图</th>" in coverage and "✓ 4" in coverage

    hits = client.get(f"/resources/search?q=磨损&profession={profession.id}&kind=image").get_data(as_text=True)
    assert hits.count('data-testid="search-hit"') == 1 and "制动片磨损示意图" in hits
    assert "未审核的示意图" not in client.get(f"/resources/search?q=未审核&profession={profession.id}"
                                        ).get_data(as_text=True)


def test_a_task_without_a_picture_is_reported_lacking_one(client, login_as, profession, learning_task):
    login_as("teacher")
    coverage = client.get(f"/professions/{profession.id}/coverage?missing=1").get_data(as_text=True)
    assert "缺少插图：1 个学习任务" in coverage
    assert coverage.count('data-testid="coverage-row"') == 1


def test_media_index_counts_published_pictures(client, login_as, profession):
    _image(factories.user("teacher"), profession, approved=True)
    _image(factories.user("teacher"), profession, approved=False, color=(1, 1, 1))
    login_as("student")
    page = client.get("/media").get_data(as_text=True)
    assert profession.name in page and "插图 1" in page


def test_searched_percent_and_underscore_are_characters_not_wildcards(client, login_as, profession, learning_task):
    author = factories.user("teacher")
    for title, color in (("扭矩 100% 示意图", (5, 5, 5)), ("扭矩示意图", (6, 6, 6))):
        stored = uploads.read_bytes(samples.png(color=color), "图.png", ["image"], prefix=services.PREFIX)
        picture = services.add_resource(author, stored, profession_id=profession.id, title=title,
                                        learning_task_id=learning_task.id)
        review.submit(picture, author)
        review.approve(picture, factories.user("reviewer"))
    db.session.commit()
    login_as("student")
    hits = client.get(f"/resources/search?q=%25&profession={profession.id}&kind=image").get_data(as_text=True)
    assert "扭矩 100% 示意图" in hits and "扭矩示意图" not in hits
    library = client.get(f"/media/professions/{profession.id}?kind=image&q=_").get_data(as_text=True)
    assert "扭矩" not in library
