"""Authors write page versions; reviewers approve them; learners only ever see approved versions."""
import pytest

from app.extensions import db
from app.workbooks import services
from app.workbooks.models import FrozenVersionError
from tests import factories
from tests.workbooks import helpers


@pytest.fixture
def people():
    author = factories.user("teacher")
    reviewer = factories.user("reviewer")
    db.session.commit()
    return author, reviewer


def test_learner_sees_nothing_until_a_version_is_approved(client, login_as, people):
    author, reviewer = people
    wb = helpers.workbook(author)
    v1 = helpers.page(wb, author)
    db.session.commit()
    page_id, wb_id = v1.page_id, wb.id
    login_as("student")
    assert client.get(f"/workbook-pages/{page_id}").status_code == 404
    assert client.get(f"/workbook-pages/{page_id}/v1").status_code == 404
    assert "更换制动片" not in client.get(f"/workbooks/{wb_id}").get_data(as_text=True)
    helpers.publish(db.session.get(type(v1), v1.id), author, reviewer)
    db.session.commit()
    body = client.get(f"/workbook-pages/{page_id}").get_data(as_text=True)
    assert "更换制动片" in body and "领取工具" in body and "扭力扳手" in body
    assert "更换制动片" in client.get(f"/workbooks/{wb_id}").get_data(as_text=True)


def test_new_draft_stays_hidden_and_learners_keep_the_approved_version(client, login_as, people):
    author, reviewer = people
    wb = helpers.workbook(author)
    v1 = helpers.publish(helpers.page(wb, author), author, reviewer)
    v2 = services.save_version(v1.page, author=author, title="更换制动片（修订）", source="新的步骤：<b>先断电</b>",
                               change_note="补充安全步骤")
    db.session.commit()
    assert (v2.number, v2.review_state) == (2, "draft")
    page_id = v1.page_id
    login_as("student")
    body = client.get(f"/workbook-pages/{page_id}").get_data(as_text=True)
    assert "完成后请教师签字" in body and "先断电" not in body
    assert client.get(f"/workbook-pages/{page_id}/v2").status_code == 404
    history = client.get(f"/workbook-pages/{page_id}/history").get_data(as_text=True)
    assert "第 1 版" in history and "第 2 版" not in history
    assert client.get(f"/workbook-pages/{page_id}/diff?old=1&new=2").status_code == 404


def test_author_sees_draft_and_reviewer_approval_moves_the_current_version(client, login_as, people):
    author, reviewer = people
    wb = helpers.workbook(author)
    v1 = helpers.publish(helpers.page(wb, author), author, reviewer)
    v2 = services.save_version(v1.page, author=author, title="更换制动片", source="第二版内容", change_note="简化")
    db.session.commit()
    login_as(user=author)
    assert "第二版内容" in client.get(f"/workbook-pages/{v1.page_id}").get_data(as_text=True)
    helpers.publish(v2, author, reviewer)
    db.session.commit()
    assert db.session.get(type(v1.page), v1.page_id).current_version_id == v2.id


def test_submitted_versions_are_frozen(people):
    author, reviewer = people
    wb = helpers.workbook(author)
    v1 = helpers.page(wb, author)
    from app.review import services as review

    review.submit(v1, author)
    db.session.flush()
    from app.errors import Conflict

    with pytest.raises(Conflict):
        services.save_version(v1.page, author=author, title="x", source="y")
    v1.source = "悄悄改掉"
    with pytest.raises(FrozenVersionError):
        db.session.flush()
    db.session.rollback()


def test_saving_after_changes_requested_starts_a_new_version(people):
    author, reviewer = people
    from app.review import services as review

    v1 = helpers.page(helpers.workbook(author), author)
    review.submit(v1, author)
    review.request_changes(v1, reviewer, "请补充扭矩值")
    v2 = services.save_version(v1.page, author=author, title="更换制动片", source="补充了扭矩值", change_note="按意见修改")
    assert v2.number == 2 and v1.source == helpers.PAGE
    draft_again = services.save_version(v1.page, author=author, title="更换制动片", source="再改一次")
    assert draft_again.id == v2.id and v2.source == "再改一次"


def test_only_the_workbook_author_edits(client, login_as, people):
    author, reviewer = people
    v1 = helpers.page(helpers.workbook(author), author)
    db.session.commit()
    login_as("teacher")
    assert client.get(f"/workbook-pages/{v1.page_id}/edit").status_code == 403
    assert client.get(f"/workbook-pages/{v1.page_id}").status_code == 404


def test_author_cannot_approve_own_page(client, login_as):
    author = login_as("reviewer")
    v1 = helpers.page(helpers.workbook(author), author)
    db.session.commit()
    assert client.form(f"/review/page_version/{v1.id}/submit", {}, token_from=f"/workbook-pages/{v1.page_id}").status_code == 302
    response = client.form(f"/review/page_version/{v1.id}/approve", {}, token_from=f"/workbook-pages/{v1.page_id}")
    assert response.status_code == 403


def test_review_queue_shows_the_escaped_change_since_the_published_version(client, login_as, count_queries, people):
    author, reviewer = people
    v1 = helpers.publish(helpers.page(helpers.workbook(author), author, source="第一步：拆卸车轮"), author, reviewer)
    from app.review import services as review

    pages = []
    for n in range(3):
        v = services.save_version(v1.page, author=author, title="更换制动片", source=f"第一步：拆卸车轮\n<b>新增{n}</b>",
                                  change_note="补充步骤") if n == 0 else helpers.page(v1.page.workbook, author)
        review.submit(v, author)
        pages.append(v)
    db.session.commit()
    login_as(user=factories.user("reviewer"))
    with count_queries() as q:
        body = client.get("/review").get_data(as_text=True)
    assert "汽车制动系统检修工作页 · 第 1 页“更换制动片” 第 2 版" in body and "补充步骤" in body
    assert '<span class="diff-add">+ &lt;b&gt;新增0&lt;/b&gt;</span>' in body
    # A bound, not a count: the queue asks each registered review kind once (standards, pages, videos, documents,
    # images, questions, job posts ...), whatever the number of waiting items: session, roles, one per kind, and
    # what the page shows of the waiting pages.
    from app.review.registry import KINDS

    assert q.count <= 6 + len(KINDS), "\n".join(s[:120] for s in q.statements)


def test_unpublishing_the_current_version_falls_back_to_the_previous_approved_one(client, login_as, people):
    author, reviewer = people
    from app.review import services as review

    v1 = helpers.publish(helpers.page(helpers.workbook(author), author, source="旧版内容"), author, reviewer)
    v2 = helpers.publish(services.save_version(v1.page, author=author, title="更换制动片", source="新版内容"),
                         author, reviewer)
    assert v1.page.current_version_id == v2.id
    review.withdraw(v2, reviewer, "新版有误，先撤下")
    db.session.commit()
    assert db.session.get(type(v1.page), v1.page_id).current_version_id == v1.id
    login_as("student")
    body = client.get(f"/workbook-pages/{v1.page_id}").get_data(as_text=True)
    assert "旧版内容" in body and "新版内容" not in body


def test_demo_content_loads_once_and_demo_seed_publishes_it(runner):
    from app.workbooks.models import PageVersion, Workbook

    wb = db.session.scalar(db.select(Workbook).where(Workbook.key == "auto-repair-disc-brake"))
    assert wb is not None and wb.learning_task.code == "C3-T1"
    result = runner.invoke(args=["content", "load"])
    assert "workbooks：0 项有变化" in result.output
    result = runner.invoke(args=["demo", "seed"])
    assert "活页式教材：审核通过 3 页" in result.output, result.output
    states = db.session.scalars(db.select(PageVersion.review_state).join(PageVersion.page)
                                .where(PageVersion.page.has(workbook_id=wb.id))).all()
    assert states == ["approved"] * 3
