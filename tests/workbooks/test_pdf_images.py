"""Stored images referenced from a page's Markdown are drawn in the workbook PDF; others leave a note."""
from __future__ import annotations

import io
import re

import pypdf

from app.core import uploads
from app.extensions import db
from app.media import services as media
from app.review import services as review
from tests import factories
from tests.media import samples
from tests.workbooks import helpers


def _stored_image(author, *, approved: bool, color):
    stored = uploads.read_bytes(samples.png(size=(400, 200), color=color), "示意图.png", ["image"],
                                prefix=media.PREFIX)
    image = media.add_resource(author, stored, profession_id=helpers.profession().id, title="制动片示意图")
    if approved:
        review.submit(image, author)
        review.approve(image, factories.user("reviewer"))
    return image


def _image_objects(data: bytes) -> list:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [image for page in reader.pages for image in page.images]


def _text(data: bytes) -> str:
    return re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


def test_pdf_of_a_page_with_an_approved_image_contains_the_image(client, login_as):
    author, reviewer = factories.user("teacher"), factories.user("reviewer")
    image = _stored_image(author, approved=True, color=(220, 40, 40))
    wb = helpers.workbook(author)
    source = f"检查制动片磨损：\n\n![制动片示意图](/media/images/{image.id}/file)\n\n测量厚度并记录。\n"
    helpers.publish(helpers.page(wb, author, title="制动片检查", source=source), author, reviewer)
    db.session.commit()
    login_as("student")
    response = client.get(f"/workbooks/{wb.id}/pdf")
    assert response.status_code == 200
    images = _image_objects(response.data)
    assert len(images) == 1
    assert images[0].image.size == (400, 200)
    assert images[0].image.convert("RGB").getpixel((10, 10)) == (220, 40, 40)
    text = _text(response.data)
    assert "检查制动片磨损" in text and "测量厚度并记录" in text


def test_unapproved_missing_and_foreign_images_are_skipped_with_a_note(client, login_as):
    author, reviewer = factories.user("teacher"), factories.user("reviewer")
    draft = _stored_image(author, approved=False, color=(10, 10, 200))
    wb = helpers.workbook(author)
    source = (f"![草稿图](/media/images/{draft.id}/file)\n\n![不存在](/media/images/999999/file)\n\n"
              "![外部](/etc/passwd)\n\n正文。\n")
    helpers.publish(helpers.page(wb, author, title="图片页", source=source), author, reviewer)
    db.session.commit()
    login_as("student")
    response = client.get(f"/workbooks/{wb.id}/pdf")
    assert response.status_code == 200
    assert _image_objects(response.data) == []
    text = _text(response.data)
    assert "[图片未打印：草稿图" in text and "[图片未打印：不存在" in text and "[图片未打印：外部" in text
    assert "正文。" in text


def test_pdf_statements_do_not_grow_with_the_number_of_images(client, login_as, count_queries):
    author, reviewer = factories.user("teacher"), factories.user("reviewer")
    images = [_stored_image(author, approved=True, color=(20 * n, 100, 100)) for n in range(1, 5)]
    counts = []
    for chosen in (images[:1], images):
        wb = helpers.workbook(author, title=f"工作页{len(chosen)}")
        source = "\n\n".join(f"![图{i.id}](/media/images/{i.id}/file)" for i in chosen)
        helpers.publish(helpers.page(wb, author, title="图片页", source=source), author, reviewer)
        db.session.commit()
        login_as("student") if not counts else None
        client.get(f"/workbooks/{wb.id}/pdf")
        with count_queries() as q:
            response = client.get(f"/workbooks/{wb.id}/pdf")
        assert len(_image_objects(response.data)) == len(chosen)
        counts.append(q.count)
    assert counts[0] == counts[1]
