"""Questions go through the review workflow (凡编必审): new and edited versions wait in the reviewers' queue,
reviewers approve or send back (never their own), and a whole import is approved in one action."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied
from app.extensions import db
from app.questions import importing, services
from app.questions.models import Question, QuestionVersion
from app.review import services as review
from app.review.models import ReviewRecord
from tests import factories


def gift(n: int, *, suffix: str = "") -> bytes:
    return "\n\n".join(f"// [id:q{i}]\n::q{i}:: 第{i}题 拧紧螺栓用什么？{suffix} {{=扭力扳手 ~活动扳手 ~锤子}}"
                       for i in range(1, n + 1)).encode("utf-8")


def make_bank(teacher, key="review-bank"):
    return services.create_bank(key=key, name="审核题库", school_id=teacher.school_id, actor=teacher)


def single(text: str, right: str = "扭力扳手"):
    return services.prepare_fields("single_choice", text=text, name=text[:20],
                                   data={"options": [{"text": right, "fraction": 1}, {"text": "锤子"}]})


def test_new_question_waits_in_the_queue_and_a_reviewer_approves_it(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    db.session.commit()
    response = client.form(f"/questions/banks/{bank.id}/new/true_false",
                           {"text": "断开蓄电池时应先断开负极。", "answer": "true", "points": "2", "difficulty": "3"},
                           token_from=f"/questions/banks/{bank.id}/new/true_false")
    assert response.status_code == 302
    question = db.session.scalar(select(Question).where(Question.bank_id == bank.id))
    assert question.current_version.review_state == "submitted" and question.approved_version_id is None
    page = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert "待审核" in page and "还没有通过审核的版本" in page
    bank_page = client.get(f"/questions/banks/{bank.id}").get_data(as_text=True)
    assert "1 个试题版本正在等待审核" in bank_page
    assert "全部审核通过" not in bank_page  # teachers do not review

    client.form("/logout", token_from="/home")
    login_as("reviewer")
    queue = client.get("/review").get_data(as_text=True)
    assert "题库“审核题库” · 试题“断开蓄电池时应先断开负极。” 第 1 版" in queue
    assert "新试题（尚无已通过的版本）" in queue and "+题干：" in queue
    version = question.current_version
    done = client.form(f"/review/question_version/{version.id}/approve", {"comment": ""}, token_from="/review")
    assert done.status_code == 302
    db.session.expire_all()
    assert question.approved_version_id == version.id and version.review_state == "approved"
    assert "已通过审核并发布" in client.get("/review").get_data(as_text=True)  # the flash
    assert "题库“审核题库”" not in client.get("/review").get_data(as_text=True)


def test_edit_is_a_new_submitted_version_with_a_diff_against_the_approved_one(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    question = services.create_question(bank, single("举升车辆前应当做什么？"), actor=teacher)
    review.approve(question.current_version, factories.user("reviewer"))
    first = question.current_version
    second = services.edit_question(question, single("举升车辆前应当做什么？", right="确认支撑点"), actor=teacher,
                                    change_note="改正答案")
    db.session.commit()
    assert second.review_state == "submitted" and question.approved_version_id == first.id
    page = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert "考试中使用的是已通过审核的第 1 版" in page

    client.form("/logout", token_from="/home")
    login_as("reviewer")
    queue = client.get("/review").get_data(as_text=True)
    assert "第 2 版" in queue and "改正答案" in queue
    removed = re.findall(r'<span class="diff-del">([^<]*)</span>', queue)
    added = re.findall(r'<span class="diff-add">([^<]*)</span>', queue)
    assert any("扭力扳手" in line for line in removed) and any("确认支撑点" in line for line in added)
    # A third edit while the second waits: the second leaves the queue, only the newest is reviewed.
    third = services.edit_question(question, single("举升车辆前首先应当做什么？", right="确认支撑点"),
                                   actor=teacher)
    db.session.commit()
    db.session.expire_all()
    assert second.review_state == "withdrawn" and third.review_state == "submitted"
    queue = client.get("/review").get_data(as_text=True)
    assert "第 3 版" in queue and "第 2 版" not in queue


def test_nobody_approves_their_own_question(client, login_as):
    admin = login_as("platform_admin")
    bank = services.create_bank(key="own-bank", name="平台题库", actor=admin)
    question = services.create_question(bank, single("自己写的题"), actor=admin)
    db.session.commit()
    response = client.form(f"/review/question_version/{question.current_version.id}/approve", {"comment": ""},
                           token_from="/review")
    assert response.status_code == 403
    db.session.expire_all()
    assert question.current_version.review_state == "submitted" and question.approved_version_id is None
    with pytest.raises(PermissionDenied):
        services.approve_pending(bank, factories.user("teacher"))


def test_request_changes_sends_the_version_back_and_resubmitting_puts_it_in_the_queue(client, login_as):
    teacher = factories.user("teacher")
    bank = make_bank(teacher)
    question = services.create_question(bank, single("有错的题"), actor=teacher)
    version = question.current_version
    db.session.commit()
    login_as("reviewer")
    sent = client.form(f"/review/question_version/{version.id}/request-changes", {"comment": "选项写错了"},
                       token_from="/review")
    assert sent.status_code == 302
    db.session.expire_all()
    assert version.review_state == "changes_requested" and question.approved_version_id is None
    assert review.history(version)[-1].comment == "选项写错了"


def test_unpublishing_moves_learners_back_to_the_previous_approved_version():
    teacher = factories.user("teacher")
    reviewer = factories.user("reviewer")
    bank = make_bank(teacher)
    question = services.create_question(bank, single("第一版"), actor=teacher)
    first = question.current_version
    review.approve(first, reviewer)
    second = services.edit_question(question, single("第二版"), actor=teacher)
    review.approve(second, reviewer)
    assert question.approved_version_id == second.id
    review.withdraw(second, reviewer, "发现错误")
    assert question.approved_version_id == first.id
    review.withdraw(first, reviewer)
    assert question.approved_version_id is None


def test_import_submits_every_version_and_a_reviewer_approves_the_whole_bank_at_once(client, login_as):
    teacher = factories.user("teacher")
    report = importing.import_file("safety.gift", gift(30), bank_key="imp-bank", actor=teacher)
    assert report.imported == 30 and not report.errors
    bank = services.bank_by_key("imp-bank")
    db.session.commit()
    assert services.pending_count(bank) == 30
    history = db.session.scalars(select(ReviewRecord).where(ReviewRecord.kind == "question_version")).all()
    assert len(history) == 30 and {(r.from_state, r.to_state, r.actor_id) for r in history} == {
        ("draft", "submitted", teacher.id)}

    login_as("teacher", school_=teacher.school)
    denied = client.form(f"/questions/banks/{bank.id}/approve-pending", {}, token_from=f"/questions/banks/{bank.id}")
    assert denied.status_code == 403

    client.form("/logout", token_from="/home")
    login_as("reviewer")
    page = client.get(f"/questions/banks/{bank.id}").get_data(as_text=True)
    assert "30 个试题版本正在等待审核" in page and "全部审核通过" in page
    done = client.form(f"/questions/banks/{bank.id}/approve-pending", {}, token_from=f"/questions/banks/{bank.id}")
    assert done.status_code == 302
    assert "已通过 30 个试题版本" in client.get(done.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert services.pending_count(bank) == 0
    questions = db.session.scalars(select(Question).where(Question.bank_id == bank.id)).all()
    assert all(q.approved_version_id == q.current_version_id for q in questions)


def test_reimporting_changed_questions_withdraws_their_waiting_versions():
    teacher = factories.user("teacher")
    importing.import_file("a.gift", gift(5), bank_key="re-bank", actor=teacher)
    again = importing.import_file("a.gift", gift(5), bank_key="re-bank", actor=teacher)
    assert again.unchanged == 5 and again.created == 0  # no duplicates, nothing new to review
    changed = importing.import_file("b.gift", gift(5, suffix="（新）"), bank_key="re-bank", actor=teacher)
    assert changed.updated == 5
    bank = services.bank_by_key("re-bank")
    states = db.session.execute(select(QuestionVersion.number, QuestionVersion.review_state)
                                .join(Question, Question.id == QuestionVersion.question_id)
                                .where(Question.bank_id == bank.id)).all()
    assert sorted(states) == [(1, "withdrawn")] * 5 + [(2, "submitted")] * 5
    assert services.pending_count(bank) == 5


def test_bulk_approval_skips_versions_the_reviewer_submitted():
    reviewer = factories.user("reviewer")
    other = factories.user("reviewer")
    importing.import_file("r.gift", gift(3), bank_key="mixed-bank", actor=reviewer)
    bank = services.bank_by_key("mixed-bank")
    teacher = factories.user("teacher")
    services.create_question(bank, single("老师写的题"), actor=teacher)
    assert services.approve_pending(bank, reviewer) == (1, 3)
    assert services.pending_count(bank) == 3
    assert services.approve_pending(bank, other) == (3, 0)


def test_bulk_approval_statement_count_does_not_grow_with_the_import(count_queries):
    reviewer = factories.user("reviewer")
    teacher = factories.user("teacher")
    importing.import_file("s.gift", gift(5), bank_key="small-bank", actor=teacher)
    importing.import_file("l.gift", gift(200), bank_key="large-bank", actor=teacher)
    with count_queries() as small:
        services.approve_pending(services.bank_by_key("small-bank"), reviewer)
    with count_queries() as large:
        services.approve_pending(services.bank_by_key("large-bank"), reviewer)
    assert large.count == small.count


def test_import_statement_count_does_not_grow_with_the_number_of_questions(count_queries):
    teacher = factories.user("teacher")
    with count_queries() as small:
        importing.import_file("s.gift", gift(5), bank_key="cnt-small", actor=teacher)
    with count_queries() as large:
        importing.import_file("l.gift", gift(300), bank_key="cnt-large", actor=teacher)
    assert large.count == small.count


def test_cli_approves_a_bank_after_an_import(runner):
    teacher = factories.user("teacher")
    reviewer = factories.user("reviewer")
    importing.import_file("c.gift", gift(4), bank_key="cli-review", actor=teacher)
    db.session.commit()
    result = runner.invoke(args=["questions", "approve", "--bank", "cli-review", "--reviewer", reviewer.username])
    assert result.exit_code == 0, result.output
    assert "4 个试题版本的审核" in result.output
    refused = runner.invoke(args=["questions", "approve", "--bank", "cli-review", "--reviewer", teacher.username])
    assert refused.exit_code != 0
