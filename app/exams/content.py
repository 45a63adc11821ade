"""Demo exam for ``flask demo seed``: a small safety bank and a quiz the demo student can take at once."""
from __future__ import annotations

from sqlalchemy import select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.content import demo_step

DEMO_BANK = "demo-safety"
DEMO_EXAM = "安全操作规程测验（演示）"

#: A question the demo teacher wrote that waits for the demo reviewer (not on the demo paper).
PENDING_QUESTION = "<p>使用砂轮机时可以不戴护目镜。</p>"
#: (type, text, data) of the demo questions.
QUESTIONS = [
    ("single_choice", "<p>拧紧汽车轮胎螺栓应使用哪种工具？</p>",
     {"options": [{"text": "扭力扳手", "fraction": 1}, {"text": "活动扳手"}, {"text": "管钳"}, {"text": "锤子"}]}),
    ("single_choice", "<p>举升车辆前首先应当做什么？</p>",
     {"options": [{"text": "确认支撑点位置", "fraction": 1}, {"text": "拆下车轮"}, {"text": "打开车门"},
                  {"text": "启动发动机"}]}),
    ("multiple_choice", "<p>进入实训车间必须佩戴哪些防护用品？</p>",
     {"options": [{"text": "安全鞋", "fraction": 0.5}, {"text": "护目镜", "fraction": 0.5}, {"text": "耳机"},
                  {"text": "拖鞋"}]}),
    ("true_false", "<p>断开蓄电池时应先断开负极。</p>", {"answer": True}),
    ("fill_blank", "<p>轮胎螺栓应按____顺序分两次拧紧。</p>", {"blanks": [{"answers": ["对角", "交叉"]}]}),
    ("essay", "<p>简述车辆举升作业的安全检查步骤。</p>", {"response_format": "text", "attachments": 2}),
]


@demo_step(45, _l("演示考试"))
def seed_demo_exam() -> str:
    from app.auth.services import find_user
    from app.exams import services
    from app.exams.models import Exam
    from app.extensions import db
    from app.questions import services as questions

    from app.review import services as review

    teacher, student, reviewer = find_user("teacher"), find_user("student"), find_user("reviewer")
    if teacher is None or student is None or reviewer is None:
        return _("跳过：缺少演示教师、学生或审核专家")
    if db.session.scalar(select(Exam.id).where(Exam.title == DEMO_EXAM)):
        return _("已存在")
    bank = questions.bank_by_key(DEMO_BANK) or questions.create_bank(
        key=DEMO_BANK, name="安全操作规程（演示题库）", school_id=teacher.school_id, actor=teacher)
    paper = services.create_paper(title=DEMO_EXAM, school_id=teacher.school_id, creator=teacher)
    for qtype, text, data in QUESTIONS:
        fields = questions.prepare_fields(qtype, text=text, data=data, points=10,
                                          explanation="<p>参见《汽车维修安全操作规程》。</p>")
        question = questions.create_question(bank, fields, actor=teacher)
        # The teacher wrote it, the demo reviewer approved it (凡编必审): only approved versions reach exams.
        review.approve(question.current_version, reviewer)
        services.add_paper_question(paper, question, 10)
    # One new question still waiting in the reviewer's queue, to show the review step.
    pending = questions.prepare_fields("true_false", text=PENDING_QUESTION, data={"answer": False}, points=10)
    questions.create_question(bank, pending, actor=teacher, change_note="新编试题")
    exam = services.create_exam(paper=paper, title=DEMO_EXAM, creator=teacher, school_id=teacher.school_id,
                                time_limit_minutes=30, max_attempts=2, shuffle_options=True,
                                description="演示考试：可作答两次，交卷后即可看到客观题得分。")
    services.grant_access(exam, student)
    return _("新建 1 场考试")
