"""Offline training recorded from an attendance sheet: all rows or none, with row errors."""
from sqlalchemy import func, select

from app.certification.models import CreditHourEntry
from app.courses import services as courses
from app.extensions import db
from tests import factories


def _count():
    return db.session.scalar(select(func.count(CreditHourEntry.id)).where(CreditHourEntry.source == "offline_training"))


def test_unknown_teacher_refuses_the_whole_file(runner, tmp_path):
    admin = factories.user("platform_admin")
    known = factories.user("teacher")
    course = courses.create_course(title="教学场所使用管理", kind="training_course", is_shared=True)
    db.session.commit()
    before = _count()
    sheet = tmp_path / "签到表.csv"
    sheet.write_text(f"用户名,学时,备注\n{known.username},3,集中培训\nnobody,2,\n{known.username},abc,\n",
                     encoding="utf-8")
    result = runner.invoke(args=["certification", "import-offline", str(sheet), "--course", str(course.id),
                                 "--by", admin.username])
    assert result.exit_code != 0
    assert "第 3 行：找不到教师“nobody”" in result.output and "第 4 行" in result.output
    assert _count() == before
    sheet.write_text(f"用户名,学时,备注\n{known.username},3,集中培训\n", encoding="utf-8")
    result = runner.invoke(args=["certification", "import-offline", str(sheet), "--course", str(course.id),
                                 "--by", admin.username])
    assert result.exit_code == 0, result.output
    entry = db.session.scalar(select(CreditHourEntry).where(CreditHourEntry.user_id == known.id))
    assert entry.seconds == 3 * 3600 and entry.course_id == course.id and entry.evidence.startswith("file:")
    again = runner.invoke(args=["certification", "import-offline", str(sheet), "--course", str(course.id),
                                "--by", admin.username])
    assert again.exit_code == 0, again.output
    assert "以前导入过" in again.output
    assert _count() == before + 1  # the same sheet twice credits once
