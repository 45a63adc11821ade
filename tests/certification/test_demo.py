"""``flask demo seed`` leaves a training program with the demo teacher part way and one issued certificate."""
from sqlalchemy import select

from app.certification.content import DEMO_PROGRAM
from app.certification.models import Certificate
from app.certification import services


def test_demo_seed_program_and_certificate(runner, client):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "教师培训项目与证书：培训项目" in first.output
    again = runner.invoke(args=["demo", "seed"])
    assert "教师培训项目与证书：已存在" in again.output
    program = services.program_by_key(DEMO_PROGRAM)
    from app.certification.models import ProgramEnrollment
    from app.extensions import db

    assert db.session.scalar(select(Certificate.serial).where(Certificate.program_id == program.id)).startswith("GX-")
    teacher = db.session.scalar(select(ProgramEnrollment).where(ProgramEnrollment.program_id == program.id)
                                .order_by(ProgramEnrollment.id)).user
    reasons = [o.reason for o in services.check_requirements(program, teacher) if not o.ok]
    assert any("还差" in r for r in reasons)
