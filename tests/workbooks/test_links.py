"""Workbooks link to the course standard; approved pages appear in the profession's resource package."""
import io
import re

import pypdf

from app.extensions import db
from app.workbooks import services
from tests import factories
from tests.workbooks import helpers


def test_workbook_form_links_a_task_and_pages_show_course_and_task(client, login_as):
    task = helpers.approved_standard_task()
    author = login_as("teacher")
    prof = helpers.profession_of(task)
    url = f"/professions/{prof.id}/workbooks/new"
    form = client.get(url).get_data(as_text=True)
    assert "盘式制动器检修" in form and "汽车底盘系统检修" in form
    response = client.form(url, {"title": "盘式制动器检修工作页", "integrated_course_id": "",
                                 "learning_task_id": str(task.id)}, token_from=url)
    assert response.status_code == 302
    wb = db.session.scalar(db.select(services.Workbook).where(services.Workbook.created_by_id == author.id))
    assert wb.learning_task_id == task.id and wb.integrated_course_id == task.course_id
    reviewer = factories.user("reviewer")
    helpers.publish(helpers.page(wb, author, stage="implement"), author, reviewer)
    db.session.commit()
    body = client.get(f"/workbooks/{wb.id}/print").get_data(as_text=True)
    assert "汽车底盘系统检修" in body and "盘式制动器检修" in body and "实施计划" in body
    text = re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in pypdf.PdfReader(
        io.BytesIO(client.get(f"/workbooks/{wb.id}/pdf").data)).pages))
    assert "一体化课程：汽车底盘系统检修" in text and "学习任务：盘式制动器检修" in text


def test_task_of_another_profession_is_refused(client, login_as):
    task = helpers.approved_standard_task()
    login_as("teacher")
    other = next(p for p in helpers.all_professions() if p.id != helpers.profession_of(task).id)
    url = f"/professions/{other.id}/workbooks/new"
    response = client.form(url, {"title": "错配", "learning_task_id": str(task.id)}, token_from=url)
    # The other profession offers no such task: the form refuses the choice and nothing is created.
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(services.Workbook)
                             .where(services.Workbook.title == "错配")) == 0
    from app.errors import ValidationError
    import pytest

    with pytest.raises(ValidationError):
        services.create_workbook(profession=other, title="错配", author=None, learning_task=task)


def test_approved_pages_appear_under_their_task_on_the_profession_page(app, client, login_as):
    task = helpers.approved_standard_task()
    author, reviewer = factories.user("teacher"), factories.user("reviewer")
    prof = helpers.profession_of(task)
    wb = helpers.workbook(author, prof=prof, title="底盘工作页")
    helpers.publish(helpers.page(wb, author, title="更换制动片", learning_task=task), author, reviewer)
    helpers.page(wb, author, title="草稿页", learning_task=task)
    db.session.commit()
    login_as("student")
    body = client.get(f"/professions/{prof.id}").get_data(as_text=True)
    assert "底盘工作页 · 更换制动片" in body and "草稿页" not in body
    from app.standards.resources import search_resources

    with app.test_request_context():
        found = search_resources("制动片", [task], ["workbook_page"])
        assert [link.title for link in found[task.id]] == ["底盘工作页 · 更换制动片"]
        assert search_resources("不存在的词", [task], ["workbook_page"])[task.id] == []


def test_custom_stage_of_the_task_can_be_chosen_and_is_shown_by_name(client, login_as):
    task = helpers.approved_standard_task("C3-T2")  # its standard adds a custom stage "road-test" (路试验证)
    author = login_as("teacher")
    wb = helpers.workbook(author, prof=helpers.profession_of(task))
    services.update_workbook(wb, title=wb.title, learning_task=task)
    db.session.commit()
    url = f"/workbooks/{wb.id}/pages/new"
    assert "路试验证" in client.get(url).get_data(as_text=True)
    response = client.form(url, {"title": "路试", "stage": "road-test", "source": "路试记录",
                                 "effective_date": "2026-09-01"}, token_from=url)
    assert response.status_code == 302
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "路试验证" in body
