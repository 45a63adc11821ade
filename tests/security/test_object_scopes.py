"""Every route that names an object by id in its URL, tried by people of ANOTHER school (a student, a teacher, a
school admin) and by a mentor of another enterprise, against the demo school's objects: attempts, submissions,
files, grades, certificates, users, courses, exams, cohorts, question banks, tokens ...

A GET must not show the object (no 200) and a POST must not do anything (no 2xx, no success message after the
redirect), in HTML and JSON alike. The national content every signed-in user may read (published standards,
workbooks, media, the school and enterprise directory, open training programs) is listed in ``PUBLIC`` with the
reason. A new route with an id parameter this test cannot fill in fails the test, so new routes are covered too.
"""
from __future__ import annotations

import io
import re

import pytest
from flask import url_for
from sqlalchemy import text
from werkzeug.datastructures import FileStorage

from app.extensions import db
from tests import factories

#: URL parameter -> table whose first row (of the demo school) fills it in.
TABLES = {
    "attempt_id": "attempt", "course_id": "course", "activity_id": "activity", "cert_id": "certificate",
    "cohort_id": "cohort", "exam_id": "exam", "question_id": "question", "bank_id": "question_bank",
    "program_id": "training_program", "enrollment_id": "enrollment", "category_id": "grade_category",
    "evaluation_id": "evaluation", "token_id": "api_token", "school_id": "school", "enterprise_id": "enterprise",
    "partnership_id": "partnership", "profession_id": "profession", "standard_id": "course_standard",
    "version_id": "standard_version", "task_id": "learning_task", "page_id": "workbook_page",
    "workbook_id": "workbook", "document_id": "document", "image_id": "media_image", "video_id": "video",
    "batch_id": "certificate_batch", "session_id": "offline_session", "import_id": "user_import",
    "stage_id": "assignment_stage", "assignment_id": "task_assignment", "object_id": "standard_version",
    "resource_id": "document", "alliance_id": "alliance", "committee_id": "committee",
    "evidence_id": "base_evidence", "plan_id": "plan", "post_id": "job_post", "entry_id": "demand_entry",
    "placement_id": "placement", "notification_id": "notification", "webhook_id": "notification_webhook",
}
#: (blueprint, parameter) -> table, where a parameter name means another object in that domain.
DOMAIN_TABLES = {("alliances", "application_id"): "base_application", ("alliances", "task_id"): "plan_task",
                 ("careers", "application_id"): "job_application"}
#: ``file_id`` of each file route -> its table.
FILE_TABLES = {"exams.attempt_file": "attempt_file", "grading.grade_file": "grade_file",
               "questions.file": "question_file", "tasks.feedback_file": "evaluation_file", "tasks.file": "task_file"}
#: Other parameters: fixed values.
FIXED = {"slot": 1, "number": 1, "fmt": "csv", "kind": "document", "kind_name": "standard_version",
         "province": "广东省", "party": "teacher", "type_name": "single_choice"}
#: (endpoint, parameter) -> fixed value, where a fixed parameter means something else on that route.
ENDPOINT_FIXED = {("careers.add_demand", "kind"): "talent"}
#: Parameters that are not object ids (public codes): routes with them are out of this test's scope.
NOT_OBJECTS = {"code", "filename", "secret"}

#: Endpoints every signed-in user may use on these objects, and why.
PUBLIC = {
    # National content (published standards, workbooks, media) is read by every school.
    "catalog.profession", "standards.standard", "standards.version", "standards.print_version",
    "standards.export_version", "standards.coverage", "media.library", "media.video", "media.document",
    "media.image", "media.video_file", "media.video_poster", "media.document_file", "media.image_file",
    "workbooks.profession_workbooks", "workbooks.workbook", "workbooks.page", "workbooks.version",
    "workbooks.history", "workbooks.print_view", "workbooks.pdf", "workbooks.new_workbook",
    # The directory of schools and partner enterprises.
    "orgs.school", "orgs.enterprise",
    # Teacher training programs are national: open ones are visible, teachers enrol themselves, a school admin
    # enrols their own teachers (the form lists only them).
    "certification.program", "certification.enroll", "certification.enroll_teachers",
    # The self-enrolment form asks for the course's key (a wrong key changes nothing).
    "courses.join",
    # Watching a published video for credit hours.
    "certification.certification_api.start_session",
    # The directory of alliances and their committees (docs/alliances.md: public pages); a school admin of any
    # school applies to a committee for a demonstration base of their own school.
    "alliances.alliance", "alliances.committee", "alliances.apply",
    # Plans (形象进度表) are read by every signed-in user (the plan list shows them all); reporting is checked.
    "alliances.plan",
    # A published job post is on the public board, and any student applies to it.
    "careers.post", "careers.apply",
}


def _first(table: str, where: str = "1=1"):
    return db.session.execute(text(f"SELECT id FROM {table} WHERE {where} ORDER BY id LIMIT 1")).scalar()


def _demo_world(runner) -> dict:
    """The demo school (seeded) plus the objects the seed does not make: an attempt, an evaluation, an API token
    and an uploaded task photo of the demo student."""
    from app.auth import services as auth
    from app.exams import services as exams
    from app.exams.models import Exam
    from app.tasks import services as tasks
    from app.tasks.models import TaskSubmission
    from tests.tasks.builders import jpeg

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    student = auth.find_user("student")
    teacher = auth.find_user("teacher")
    exam = db.session.get(Exam, _first("exam"))
    exams.grant_access(exam, student)
    exams.start_attempt(exam, student)
    submission = db.session.get(TaskSubmission, _first("task_submission", f"student_id = {student.id}"))
    rubric = submission.assignment.rubric
    tasks.evaluate(submission, "teacher", teacher, {str(c.id): c.max_points for c in rubric.criteria})
    auth.issue_api_token(student, "phone")
    stage = next(s for s in submission.assignment.stages if tasks.stage_row(submission, s).state == "open")
    tasks.upload_to_stage(submission, stage, FileStorage(io.BytesIO(jpeg()), "p.jpg"), field="", by=student)
    _base_application(student.school_id)
    db.session.commit()
    values = {name: _first(table) for name, table in TABLES.items()}
    values.update(user_id=student.id, student_id=student.id, submission_id=submission.id,
                  item_id=_first("grade_item"))
    return values


def _base_application(school_id: int) -> None:
    """A base application of the demo school (the seed has none), so the /base-applications/<id> routes are
    tried on a real object: only its school's admins, the committee's managers and outside experts see it."""
    from sqlalchemy import select

    from app.alliances.models import BaseApplication, Committee

    committee = next(c for c in db.session.scalars(select(Committee).order_by(Committee.id)) if c.professions)
    db.session.add(BaseApplication(committee_id=committee.id, school_id=school_id,
                                   profession_id=committee.professions[0].id, state="submitted"))
    db.session.flush()


def _url(app, rule, values: dict) -> str | None:
    args = {}
    for name in rule.arguments:
        if name in NOT_OBJECTS:
            return None
        if name == "file_id":
            args[name] = _first(FILE_TABLES.get(rule.endpoint, "media_file"))
        elif name == "item_id" and rule.endpoint == "exams.grade":
            args[name] = _first("attempt_item")
        elif name == "submission_id" and "practical" in rule.rule:
            args[name] = _first("practical_submission")
        elif (rule.endpoint.split(".")[0], name) in DOMAIN_TABLES:
            args[name] = _first(DOMAIN_TABLES[rule.endpoint.split(".")[0], name])
        elif (rule.endpoint, name) in ENDPOINT_FIXED:
            args[name] = ENDPOINT_FIXED[rule.endpoint, name]
        elif name in FIXED:
            args[name] = FIXED[name]
        else:
            assert name in values, f"{rule.rule}: teach this test which object <{name}> names"
            args[name] = values[name]
        if args[name] is None:
            args[name] = 1  # no such row in the demo: the route must still refuse
    with app.test_request_context():
        return url_for(rule.endpoint, **args)


def _outsiders() -> dict:
    other = factories.school()
    people = {role: factories.user(role, school_=other) for role in ("student", "teacher", "school_admin")}
    people["mentor"] = factories.user("mentor")
    db.session.commit()
    return people


def _private_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.arguments and rule.endpoint != "static" and rule.endpoint not in PUBLIC:
            yield rule


@pytest.fixture
def world(app, runner):
    return _demo_world(runner)


def test_people_of_another_school_cannot_open_its_objects(app, world, login_as):
    seen = []
    for role, person in _outsiders().items():
        client = app.test_client()
        login_as(user=person, client_=client)
        for rule in _private_rules(app):
            url = _url(app, rule, world)
            if url is None or "GET" not in rule.methods:
                continue
            for headers in ({}, {"Accept": "application/json"}):
                status = client.get(url, headers=headers).status_code
                if status == 200 or status >= 500:
                    seen.append((role, url, status))
    assert seen == [], "\n".join(map(str, seen))


def test_people_of_another_school_cannot_change_its_objects(app, world, login_as):
    done = []
    for role, person in _outsiders().items():
        client = app.test_client()
        login_as(user=person, client_=client)
        token = client.csrf_token("/account")
        for rule in _private_rules(app):
            url = _url(app, rule, world)
            if url is None or not rule.methods & {"POST", "PUT", "DELETE"}:
                continue
            method = next(m for m in ("POST", "PUT", "DELETE") if m in rule.methods)
            response = client.open(url, method=method, data={"csrf_token": token, "confirm": "y"},
                                   headers={"X-CSRFToken": token})
            if response.status_code == 302:
                after = client.get(response.headers["Location"]).get_data(as_text=True)
                if "alert-success" in after:
                    done.append((role, method, url, "success message"))
            elif response.status_code < 300 or response.status_code >= 500:
                done.append((role, method, url, response.status_code))
    assert done == []


def test_every_id_parameter_names_a_known_object(app):
    """The guard of the two tests above: a new kind of id in a URL must be taught to them."""
    known = set(TABLES) | set(FIXED) | NOT_OBJECTS | {name for _bp, name in DOMAIN_TABLES} | {"file_id", "item_id", "submission_id", "user_id",
                                                       "student_id"}
    unknown = {(rule.rule, name) for rule in app.url_map.iter_rules() for name in rule.arguments
               if name not in known and rule.endpoint != "static"}
    assert unknown == set()
    assert all(re.match(r"^[a-z_]+$", name) for name in known)


def test_a_classmate_and_an_unassigned_mentor_cannot_open_a_learners_work(app, world, login_as):
    """Inside the same course: a classmate, and a mentor of the course assigned to someone else, see the course
    but not the demo student's attempt, submission, files, evaluations, progress or grades."""
    from app.auth.models import User
    from app.courses import services as courses
    from app.courses.models import Course

    course = db.session.get(Course, world["course_id"])
    student = db.session.get(User, world["student_id"])
    classmate = factories.user("student", school_=student.school)
    courses.enrol_users(course, [classmate])
    mentor = factories.user("mentor")
    courses.assign_mentor(course, classmate, mentor)
    db.session.commit()
    c, s, sub = course.id, student.id, world["submission_id"]
    urls = [f"/attempts/{world['attempt_id']}", f"/api/v1/attempts/{world['attempt_id']}",
            f"/tasks/submissions/{sub}", f"/api/tasks/submissions/{sub}",
            f"/tasks/files/{_first('task_file')}", f"/tasks/feedback/{_first('evaluation_file') or 1}",
            f"/tasks/submissions/{sub}/evaluate/mentor", f"/tasks/submissions/{sub}/evaluate/peer",
            f"/tasks/submissions/{sub}/stages/{world['stage_id']}",
            f"/courses/{c}/students/{s}", f"/api/courses/{c}/students/{s}/progress", f"/courses/{c}/grades/{s}",
            f"/api/courses/{c}/grades/{world['item_id']}/{s}", f"/transcript/{s}", f"/users/{s}/edit"]
    opened = []
    for name, person in {"classmate": classmate, "mentor": mentor}.items():
        client = app.test_client()
        login_as(user=person, client_=client)
        assert client.get(f"/courses/{c}").status_code == 200  # they do belong to the course
        for url in urls:
            status = client.get(url).status_code
            if status == 200 or status >= 500:
                opened.append((name, url, status))
        token = client.csrf_token("/account")
        writes = [("PUT", f"/api/v1/attempts/{world['attempt_id']}/items/1", {"response": "A", "seq": 99}),
                  ("POST", f"/api/v1/attempts/{world['attempt_id']}/submit", None),
                  ("POST", f"/api/tasks/submissions/{sub}/evaluations", {"party": "mentor", "scores": {}}),
                  ("POST", f"/api/tasks/submissions/{sub}/evaluations", {"party": "peer", "scores": {}}),
                  ("PUT", f"/api/courses/{c}/grades/{world['item_id']}/{s}", {"value": "100", "version": 0})]
        for method, url, body in writes:
            status = client.open(url, method=method, json=body, headers={"X-CSRFToken": token}).status_code
            if status < 400 or status >= 500:
                opened.append((name, method, url, status))
    assert opened == []
