"""Every picture the platform stores — library images, task photos, question pictures, feedback files — and
every file made from one (thumbnails, posters) carries nothing of the uploader's metadata: no comment, EXIF
(GPS position, camera serial), XMP, ICC profile or PNG text chunk. They all pass through one path,
``app.core.uploads.save_image``; these tests read back every file the pages stored."""
from __future__ import annotations

import ast
import base64
import io
import re
from pathlib import Path

from PIL import Image

from tests.media import samples
from tests.media.test_pages import upload
from tests.media.test_uploads import assert_no_metadata, stored_files

APP = Path(__file__).resolve().parents[2] / "app"


def _new_pictures(app, before: set[str]) -> list[tuple[str, bytes]]:
    pictures = []
    for path in sorted(stored_files(app) - before):
        data = Path(path).read_bytes()
        try:
            with Image.open(io.BytesIO(data)):
                pictures.append((path, data))
        except OSError:
            continue  # not a picture (the pending import file, a document ...)
    return pictures


def test_pictures_uploaded_through_the_library_page_are_stored_without_metadata(client, login_as, profession, app):
    login_as("teacher")
    before = stored_files(app)
    for n, fmt in enumerate(("jpeg", "png", "gif", "webp")):
        response = upload(client, profession, samples.image_with_metadata(fmt, size=(48 + n, 32)), f"图{n}.{fmt}",
                          title=f"示意图{n}", learning_task_id="0")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    pictures = _new_pictures(app, before)
    assert len(pictures) == 8  # four pictures, four thumbnails
    for path, data in pictures:
        assert_no_metadata(data, path)


def test_gif_with_a_15_mb_comment_uploads_without_a_500(client, login_as, profession, app):
    login_as("teacher")
    before = stored_files(app)
    response = upload(client, profession, samples.gif_with_huge_comment(15), "tiny.gif", title="小图",
                      learning_task_id="0")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    pictures = _new_pictures(app, before)
    assert len(pictures) == 2
    for path, data in pictures:
        assert len(data) < 10_000, path
        assert_no_metadata(data, path)


def test_pictures_embedded_in_imported_questions_are_stored_without_metadata(client, login_as, app):
    from tests.questions.test_pages import make_bank

    teacher = login_as("teacher")
    bank = make_bank(teacher)
    pictures_xml = "".join(
        f'<file name="p{n}.{fmt}" path="/" encoding="base64">'
        f'{base64.b64encode(samples.image_with_metadata(fmt, size=(20 + n, 10))).decode()}</file>'
        for n, fmt in enumerate(("jpeg", "png", "gif", "webp")))
    images = "".join(f'<img src="@@PLUGINFILE@@/p{n}.{fmt}">' for n, fmt in enumerate(("jpeg", "png", "gif", "webp")))
    xml = (f'<?xml version="1.0"?><quiz><question type="truefalse"><name><text>图</text></name>'
           f'<questiontext format="html"><text><![CDATA[<p>看图{images}</p>]]></text>{pictures_xml}</questiontext>'
           '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>'
           '</question></quiz>').encode()
    url = f"/questions/banks/{bank.id}/import"
    before = stored_files(app)
    preview = client.form(url, {"file": (io.BytesIO(xml), "q.xml"), "format": "auto"}, token_from=url,
                          content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview).group(1)
    assert client.form(f"{url}/confirm", {"token": token}, token_from=url).status_code == 302
    pictures = _new_pictures(app, before)
    assert len(pictures) == 4  # the four pictures; no thumbnail is left behind unreferenced
    for path, data in pictures:
        assert_no_metadata(data, path)


def test_only_the_upload_service_writes_pictures():
    """Whole class: any module that saves a Pillow image (``<image>.save(...)``) to be stored would bypass the
    metadata stripping. Only app/core/uploads.py may; drawing code that never stores (PDF printing) reads only."""
    writers = []
    for path in APP.rglob("*.py"):
        source = path.read_text("utf-8")
        if "PIL" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save" \
                    and path.relative_to(APP).as_posix() != "core/uploads.py":
                writers.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert writers == [], f"pictures saved outside app/core/uploads.save_image: {writers}"
