"""The question bank pages as teachers use them: banks, authoring per type, versions, import and export."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.questions import services
from app.questions.models import Question, QuestionVersion
from tests import factories


def make_bank(user, key="auto-basics"):
    bank = services.create_bank(key=key, name="汽车维修基础题库", school_id=user.school_id, actor=user)
    db.session.commit()
    return bank


def add_question(bank, n, *, type_name="single_choice", tags=("底盘",), point=None, difficulty=3):
    data = {"options": [{"text": f"选项{n}", "fraction": 1}, {"text": "错的"}]}
    fields = services.prepare_fields(type_name, text=f"第 {n} 题", data=data, difficulty=difficulty)
    return services.create_question(bank, fields, tags=tags, knowledge_point=point)


def test_teacher_creates_a_bank_and_sees_it_listed(client, login_as):
    login_as("teacher")
    response = client.form("/questions/banks/new", {"key": "elec-1", "name": "电工题库", "profession_id": "0"},
                           token_from="/questions/banks/new")
    assert response.status_code == 302
    page = client.get("/questions/").get_data(as_text=True)
    assert "电工题库" in page and "elec-1" in page


def test_bank_page_filters_and_keeps_its_statement_count(client, login_as, count_queries):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    point = services.create_knowledge_point(bank, name="底盘")
    sub = services.create_knowledge_point(bank, name="轮胎", parent=point)
    add_question(bank, 1, point=sub, difficulty=2)
    add_question(bank, 2, tags=("电气",), difficulty=4)
    db.session.commit()
    with count_queries() as few:
        page = client.get(f"/questions/banks/{bank.id}").get_data(as_text=True)
    assert page.count('data-testid="question-row"') == 2
    for n in range(3, 40):
        add_question(bank, n, point=point, tags=("底盘", f"t{n}"))
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/questions/banks/{bank.id}").get_data(as_text=True)
    assert page.count('data-testid="question-row"') == 25
    assert many.count == few.count
    by_point = client.get(f"/questions/banks/{bank.id}?point={point.id}").get_data(as_text=True)
    assert "共 38 条" in by_point  # the point's 37 questions and the one in its sub-point
    by_sub = client.get(f"/questions/banks/{bank.id}?point={sub.id}").get_data(as_text=True)
    assert "第 1 题" in by_sub and by_sub.count('data-testid="question-row"') == 1
    by_tag = client.get(f"/questions/banks/{bank.id}?tag=电气").get_data(as_text=True)
    assert by_tag.count('data-testid="question-row"') == 1
    by_difficulty = client.get(f"/questions/banks/{bank.id}?difficulty=4").get_data(as_text=True)
    assert by_difficulty.count('data-testid="question-row"') == 1
    by_type = client.get(f"/questions/banks/{bank.id}?type=essay").get_data(as_text=True)
    assert by_type.count('data-testid="question-row"') == 0


def test_bank_list_statement_count_is_constant(client, login_as, count_queries):
    teacher = login_as("teacher")
    make_bank(teacher, "b-0")
    with count_queries() as few:
        client.get("/questions/")
    for n in range(1, 8):
        make_bank(teacher, f"b-{n}")
    with count_queries() as many:
        page = client.get("/questions/").get_data(as_text=True)
    assert page.count('data-testid="bank-row"') == 8 and many.count == few.count


FORM_DATA = {
    "single_choice": {"option_a": "扭力扳手", "option_b": "锤子", "correct": "A"},
    "multiple_choice": {"option_a": "安全帽", "option_b": "扳手", "option_c": "眼镜", "correct": ["A", "C"],
                        "scoring": "proportional"},
    "true_false": {"answer": "false", "feedback_true": "不对"},
    "fill_blank": {"blanks": "并|并联\n串", "normalize_width": "y", "whitespace": "ignore"},
    "numerical": {"value": "9.8", "tolerance": "0.1"},
    "matching": {"pairs": "万用表 = 测电压\n扳手 = 拧螺栓", "distractors": "焊接"},
    "essay": {"response_format": "text", "attachments": "2", "require_attachment": "y", "grader_info": "要点"},
    "description": {},
}


def test_authoring_every_type_through_its_form(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    for type_name, extra in FORM_DATA.items():
        url = f"/questions/banks/{bank.id}/new/{type_name}"
        assert client.get(url).status_code == 200
        data = {"text": f"<p>{type_name} 题干<script>alert(1)</script></p>", "points": "2", "difficulty": "3",
                "knowledge_point_id": "0", "tags": "安全，工具", **extra}
        response = client.form(url, data, token_from=url)
        assert response.status_code == 302, (type_name, response.get_data(as_text=True)[-3000:])
        question = db.session.scalar(select(Question).where(Question.bank_id == bank.id, Question.type == type_name))
        assert "<script>" not in question.current_version.text
        assert question.tag_names == ["安全", "工具"]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert f"{type_name} 题干" in page
    numerical = db.session.scalar(select(Question).where(Question.type == "numerical")).current_version
    assert numerical.data["answers"][0]["value"] == 9.8
    multi = db.session.scalar(select(Question).where(Question.type == "multiple_choice")).current_version
    assert multi.data["scoring"] == "proportional" and [o["fraction"] > 0 for o in multi.data["options"]] == [
        True, False, True]
    description = db.session.scalar(select(Question).where(Question.type == "description"))
    assert description.points == 0


def test_authoring_errors_are_shown_not_saved(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    url = f"/questions/banks/{bank.id}/new/single_choice"
    response = client.form(url, {"text": "只有一个选项", "option_a": "唯一", "correct": "A", "difficulty": "3",
                                 "knowledge_point_id": "0"}, token_from=url)
    assert response.status_code == 400 and "至少需要 2 个选项" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_editing_appends_a_version_and_keeps_the_old_one(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    question = add_question(bank, 1)
    db.session.commit()
    first_version_id = question.current_version_id
    url = f"/questions/{question.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "选项1" in page
    data = {"text": "第 1 题（修订）", "option_a": "选项1", "option_b": "错的", "correct": "B", "difficulty": "2",
            "knowledge_point_id": "0", "version": "1", "change_note": "改答案"}
    assert client.form(url, data, token_from=url).status_code == 302
    versions = db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id == question.id)
                                  .order_by(QuestionVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].id == first_version_id and versions[0].data["options"][0]["fraction"] == 1.0
    assert versions[1].data["options"][1]["fraction"] == 1.0 and versions[1].change_note == "改答案"
    stale = client.form(url, {**data, "text": "再改", "version": "1"}, token_from=url)
    assert stale.status_code == 409


def test_other_schools_and_students_are_kept_out(client, login_as):
    owner = factories.user("teacher")
    bank = make_bank(owner)
    question = add_question(bank, 1)
    db.session.commit()
    login_as("teacher")  # a teacher of another school
    assert client.get(f"/questions/banks/{bank.id}").status_code == 403
    assert client.get(f"/questions/{question.id}").status_code == 403
    assert client.get(f"/questions/banks/{bank.id}/export/gift").status_code == 403
    url = f"/questions/banks/{bank.id}/new/true_false"
    assert client.form(url, {"text": "x", "answer": "true"}, token_from="/questions/").status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token("/questions/")})
    login_as("student")
    assert client.get("/questions/").status_code == 403
    assert client.get(f"/questions/{question.id}").status_code == 403


def test_platform_bank_is_visible_to_teachers_but_not_editable(client, login_as):
    bank = services.create_bank(key="national", name="国家题库")
    add_question(bank, 1)
    db.session.commit()
    login_as("teacher")
    assert client.get(f"/questions/banks/{bank.id}").status_code == 200
    assert client.get(f"/questions/banks/{bank.id}/import").status_code == 403


def test_import_page_previews_then_confirms(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    url = f"/questions/banks/{bank.id}/import"
    page = client.get(url).get_data(as_text=True)
    assert 'data-upload-progress="#import-progress"' in page
    gift = "::甲::题一{=对 ~错}\n\n::乙::题二{T}\n".encode()
    response = client.form(url, {"file": (io.BytesIO(gift), "q.gift"), "format": "auto"}, token_from=url,
                           content_type="multipart/form-data")
    preview = response.get_data(as_text=True)
    assert response.status_code == 200 and preview.count('data-testid="preview-row"') == 2
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0  # nothing written yet
    import re

    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview).group(1)
    done = client.form(f"/questions/banks/{bank.id}/import/confirm", {"token": token}, token_from=url)
    assert done.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Question)) == 2
    replay = client.form(f"/questions/banks/{bank.id}/import/confirm", {"token": token}, token_from=url)
    assert replay.status_code == 400 and db.session.scalar(select(func.count()).select_from(Question)) == 2


def test_import_page_reports_errors_and_writes_nothing(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    url = f"/questions/banks/{bank.id}/import"
    response = client.form(url, {"file": (io.BytesIO("::甲::好题{T}\n\n::乙::坏题 {=a ~b\n".encode()), "q.gift"),
                                 "format": "gift"}, token_from=url, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="import-error"' in page and "第 3 行" in page
    assert "确认导入" not in page


def test_export_download_and_question_files(client, login_as, runner, tmp_path):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    add_question(bank, 1)
    db.session.commit()
    response = client.get(f"/questions/banks/{bank.id}/export/moodlexml")
    assert response.status_code == 200 and b"<quiz>" in response.data
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    from app.questions import media

    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
           b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
    record = media.store_question_file(bank, "a.png", png)
    assert media.store_question_file(bank, "a.svg", b"<svg onload=alert(1)>") is None
    db.session.commit()
    served = client.get(f"/questions/files/{record.id}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in served.headers["Content-Security-Policy"]


def test_questions_nav_entry_for_teachers(client, login_as):
    login_as("teacher")
    assert 'href="/questions/"' in client.get("/questions/").get_data(as_text=True)


def test_knowledge_points_link_to_learning_tasks_chosen_by_name(client, login_as):
    """The learning task is chosen from a list of the bank profession's current tasks, shown by code and name;
    no number is typed or shown, and a task of another profession is refused."""
    from app.catalog.models import Profession, TrainingLevel
    from app.standards import services as standards

    teacher = login_as("teacher")
    own, other = db.session.scalars(select(Profession).order_by(Profession.id).limit(2)).all()
    level = db.session.scalars(select(TrainingLevel)).first()
    bank = services.create_bank(key="kp-tasks", name="底盘题库", school_id=teacher.school_id, actor=teacher,
                                profession=own)
    tasks = {}
    for profession, name in ((own, "更换轮胎"), (other, "别的专业任务")):
        version = standards.find_standard(profession.id, level.id)
        version = version.current_version if version and version.current_version else \
            standards.create_standard(profession, level, teacher)
        course = standards.save_course(version, None, code="Z9", name="测试课程", hours=8)
        tasks[name] = standards.save_task(course, None, code="Z9-T1", name=name, hours=8)
        standards.make_current(version)
    db.session.commit()
    url = f"/questions/banks/{bank.id}/points"
    page = client.get(url).get_data(as_text=True)
    assert "学习任务编号" not in page and "课程标准模块上线后" not in page
    assert f'<option value="{tasks["更换轮胎"].id}">' in page and "Z9-T1 更换轮胎" in page
    assert "别的专业任务" not in page
    response = client.form(url, {"name": "轮胎拆装", "parent_id": "0",
                                 "learning_task_id": str(tasks["更换轮胎"].id)}, token_from=url)
    assert response.status_code == 302
    listing = client.get(url).get_data(as_text=True)
    assert "学习任务：Z9-T1 更换轮胎" in listing and f"学习任务 {tasks['更换轮胎'].id}" not in listing
    for bad in (str(tasks["别的专业任务"].id), "999999"):
        refused = client.form(url, {"name": "不可关联", "parent_id": "0", "learning_task_id": bad}, token_from=url)
        assert 'value="不可关联"' in refused.get_data(as_text=True)
    assert [p.name for p in services.knowledge_points(bank)] == ["轮胎拆装"]


def test_question_page_statement_count_is_constant_as_versions_grow(client, login_as, count_queries):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    question = add_question(bank, 1)
    db.session.commit()
    with count_queries() as few:
        assert client.get(f"/questions/{question.id}").status_code == 200
    for n in range(2, 8):
        fields = services.prepare_fields("single_choice", text=f"第 1 题 修订 {n}",
                                         data={"options": [{"text": "甲", "fraction": 1}, {"text": "乙"}]})
        services.edit_question(question, fields)
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert page.count('data-testid="version-row"') == 7 and many.count == few.count


def test_question_files_follow_registered_viewer_rules(client, login_as):
    from app.questions import media, permissions

    owner = factories.user("teacher")
    bank = make_bank(owner)
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
           b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
    record = media.store_question_file(bank, "a.png", png)
    db.session.commit()
    student = login_as("student")
    assert client.get(f"/questions/files/{record.id}").status_code == 403
    rule = lambda user, file: user.id == student.id and file.id == record.id  # noqa: E731
    permissions.FILE_VIEWERS.append(rule)
    try:
        assert client.get(f"/questions/files/{record.id}").status_code == 200
    finally:
        permissions.FILE_VIEWERS.remove(rule)


def test_import_page_shows_a_refused_file_on_the_form(client, login_as):
    """A file that cannot be read at all (a picture, an unknown format) is reported next to the upload field,
    with the form still there to pick another file."""
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    url = f"/questions/banks/{bank.id}/import"
    response = client.form(url, {"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "photo.png"),
                                 "format": "auto"}, token_from=url, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "无法识别文件格式" in page and 'type="file"' in page
