"""The profession page as the resource package: tree, resources from providers, coverage, search, and SQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.catalog.models import Profession
from app.extensions import db
from app.review import services as review
from app.standards import resources, services
from app.standards.models import LearningTask
from tests import factories


@pytest.fixture
def fake_provider():
    """A provider like the media domain will register: links are rows of a dict keyed by learning task id."""
    store: dict[int, list[resources.ResourceLink]] = {}
    calls = []

    def links(task_ids):
        # One statement per call, as real providers must; the statement count test relies on it.
        db.session.execute(select(LearningTask.id).where(LearningTask.id.in_(task_ids))).all()
        calls.append(list(task_ids))
        return {tid: store[tid] for tid in task_ids if tid in store}

    def search(q, task_ids):
        return {tid: [lk for lk in store[tid] if q in lk.title] for tid in task_ids if tid in store}

    saved = dict(resources.PROVIDERS)
    resources.PROVIDERS.clear()
    resources.register_resource_provider("video", links, label="教学视频", search=search)
    resources.register_resource_provider("workbook_page", lambda ids: {}, label="工作页")
    yield store, calls
    resources.PROVIDERS.clear()
    resources.PROVIDERS.update(saved)


def _profession_id() -> int:
    return db.session.scalar(select(Profession.id).where(Profession.key == "cnc-machining"))


def test_profession_page_shows_tree_and_resources(client, login_as, make_standard, fake_provider):
    store, _calls = fake_provider
    version = make_standard(2, 2)
    task = version.courses[1].tasks[0]
    store[task.id] = [resources.ResourceLink("video", "G71 循环车削演示", "/media/videos/1", detail="12:30")]
    login_as("student")
    page = client.get(f"/professions/{_profession_id()}").get_data(as_text=True)
    assert "教学资源包" in page and page.count('data-testid="learning-task"') == 4
    assert "G71 循环车削演示" in page and "12:30" in page
    # The kind filter hides other kinds.
    page = client.get(f"/professions/{_profession_id()}?kind=workbook_page").get_data(as_text=True)
    assert "G71 循环车削演示" not in page


def test_unapproved_standard_is_not_in_the_package(client, login_as, make_standard):
    make_standard(1, 1, approve=False)
    login_as("student")
    page = client.get(f"/professions/{_profession_id()}").get_data(as_text=True)
    assert "该专业还没有已发布的课程标准" in page and 'data-testid="learning-task"' not in page


def test_links_to_an_older_version_follow_the_task_into_the_new_version(client, login_as, make_standard,
                                                                        fake_provider):
    store, _calls = fake_provider
    v1 = make_standard(1, 2)
    old_task = v1.courses[0].tasks[1]
    store[old_task.id] = [resources.ResourceLink("video", "旧版本上关联的视频", "/media/videos/7")]
    editor = factories.user("reviewer")
    v2 = services.new_draft(v1.standard, editor)
    review.submit(v2, editor)
    review.approve(v2, factories.user("reviewer"))
    db.session.commit()
    login_as("teacher")
    page = client.get(f"/professions/{_profession_id()}").get_data(as_text=True)
    assert f"V{v2.number}" in page and "旧版本上关联的视频" in page


def test_coverage_lists_tasks_lacking_each_kind(client, login_as, make_standard, fake_provider):
    store, _calls = fake_provider
    version = make_standard(1, 3)
    store[version.courses[0].tasks[0].id] = [resources.ResourceLink("video", "视频", "/v/1")]
    login_as("teacher")
    page = client.get(f"/professions/{_profession_id()}/coverage").get_data(as_text=True)
    assert "缺少教学视频：2 个学习任务" in page and "缺少工作页：3 个学习任务" in page
    page = client.get(f"/professions/{_profession_id()}/coverage?missing=1").get_data(as_text=True)
    assert page.count('data-testid="coverage-row"') == 3  # every task lacks a workbook page


def test_search_finds_tasks_and_resources_with_filters(client, login_as, make_standard, fake_provider):
    store, _calls = fake_provider
    version = make_standard(2, 2)
    store[version.courses[0].tasks[1].id] = [resources.ResourceLink("video", "螺纹车削技巧", "/v/2")]
    login_as("student")
    pid = _profession_id()
    page = client.get(f"/resources/search?q=零件1-0&profession={pid}").get_data(as_text=True)
    assert page.count('data-testid="search-hit"') == 1 and "学习任务1-0" in page
    page = client.get(f"/resources/search?q=螺纹&profession={pid}&kind=video").get_data(as_text=True)
    assert page.count('data-testid="search-hit"') == 1 and "螺纹车削技巧" in page
    other_level = client.get("/resources/search?q=零件1-0&level=999").get_data(as_text=True)
    assert 'data-testid="search-hit"' not in other_level


def test_profession_page_sql_is_constant_as_the_tree_grows(client, login_as, make_standard, fake_provider,
                                                          count_queries):
    login_as("student")
    small = make_standard(2, 2, profession="cnc-machining")
    url = f"/professions/{_profession_id()}"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    big = make_standard(30, 10, profession="welding", level="intermediate", title="焊接")
    welding = db.session.scalar(select(Profession.id).where(Profession.key == "welding"))
    with count_queries() as many:
        page = client.get(f"/professions/{welding}")
    assert page.get_data(as_text=True).count('data-testid="learning-task"') == 300
    assert many.count == few.count, "\n".join(many.statements)
    print(f"profession page statements: {many.count}")
    assert small.id != big.id


def test_search_sql_is_constant(client, login_as, make_standard, fake_provider, count_queries):
    store, _calls = fake_provider
    login_as("student")
    small = make_standard(1, 2)
    store[small.courses[0].tasks[0].id] = [resources.ResourceLink("video", "零件测量视频", "/v/1")]
    client.get("/resources/search?q=零件")
    with count_queries() as few:
        client.get("/resources/search?q=零件")
    big = make_standard(10, 10, profession="welding", level="intermediate", title="焊接")
    for course in big.courses:
        store[course.tasks[0].id] = [resources.ResourceLink("video", "零件焊接视频", f"/v/{course.id}")]
    with count_queries() as many:
        page = client.get("/resources/search?q=零件").get_data(as_text=True)
    assert page.count('data-testid="search-hit"') == 102
    assert many.count == few.count, "\n".join(many.statements)
