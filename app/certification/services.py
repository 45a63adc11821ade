"""Training programs, 学时, certificates. Functions flush, never commit."""
from __future__ import annotations

import secrets
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from app.certification import rules
from app.certification.models import (Certificate, CertificateBatch, CertificateEvent, CreditHourEntry,
                                      PracticalSubmission, ProgramCourse, ProgramEnrollment, SerialCounter,
                                      TeacherLevel, TrainingProgram)
from app.certification.sources import get_source
from app.core import clock, signals
from app.errors import Conflict, NotFound, ValidationError, get_or_raise
from app.extensions import db

SECONDS_PER_HOUR = 3600.0


# ---- programs ------------------------------------------------------------------------------------------------
def get_program(program_id: int) -> TrainingProgram:
    return get_or_raise(TrainingProgram, program_id, _("培训项目不存在。"))


def program_by_key(key: str) -> TrainingProgram:
    program = db.session.scalar(select(TrainingProgram).where(TrainingProgram.key == key))
    if program is None:
        raise NotFound(_("培训项目不存在。"))
    return program


def list_programs() -> list[TrainingProgram]:
    """Open programs ordered by level then title (courses come with them in one more query)."""
    return list(db.session.scalars(select(TrainingProgram).join(TeacherLevel, TeacherLevel.id == TrainingProgram.level_id)
                                   .order_by(TeacherLevel.position, TrainingProgram.title)).unique())


def save_program(*, key: str, title: str, level: TeacherLevel, min_total_hours: float = 0.0, courses=(),
                 exam_id: int | None = None, exam_pass_percent: float = 60.0, practical_title: str = "",
                 practical_pass_score: float = 60.0, prerequisite_level: TeacherLevel | None = None,
                 validity_years: int | None = None, description: str = "") -> TrainingProgram:
    """Create or update the program ``key``; ``courses`` is ``[(Course, min_hours), ...]``."""
    if min_total_hours < 0 or any(hours < 0 for _c, hours in courses):
        raise ValidationError(_("学时不能为负数。"))
    if prerequisite_level is not None and prerequisite_level.position >= level.position:
        raise ValidationError(_("先修层级必须低于本项目的层级。"))
    program = db.session.scalar(select(TrainingProgram).where(TrainingProgram.key == key)) or TrainingProgram(key=key)
    program.title, program.level, program.min_total_hours = title, level, min_total_hours
    program.exam_id, program.exam_pass_percent = exam_id, exam_pass_percent
    program.practical_title, program.practical_pass_score = practical_title, practical_pass_score
    program.prerequisite_level, program.validity_years, program.description = prerequisite_level, validity_years, description
    if program.id is not None:
        # drop the old rows first: re-adding a course already listed would otherwise hit the unique constraint
        # (the flush inserts new rows before it deletes orphans)
        program.courses = []
        db.session.flush()
    program.courses = [ProgramCourse(course_id=course.id, min_hours=hours, position=n)
                       for n, (course, hours) in enumerate(courses)]
    db.session.add(program)
    db.session.flush()
    return program


def enroll(program: TrainingProgram, teacher, *, actor=None, profession_id: int | None = None) -> ProgramEnrollment:
    """Enroll ``teacher`` in ``program`` (idempotent) and in its training courses as a learner."""
    from app.courses.models import Enrollment

    existing = enrollment_of(program, teacher)
    if existing is not None:
        return existing
    course_ids = [pc.course_id for pc in program.courses]
    try:
        # A double tap on 报名 (or the school admin enrolling the same teacher at that moment) passes the check
        # above twice: the unique (program, user) constraint refuses the second, which then returns the first.
        with db.session.begin_nested():
            row = ProgramEnrollment(program_id=program.id, user_id=teacher.id, school_id=teacher.school_id,
                                    profession_id=profession_id, enrolled_at=clock.now(),
                                    enrolled_by_id=(actor or teacher).id)
            db.session.add(row)
            if course_ids:
                have = set(db.session.scalars(select(Enrollment.course_id).where(
                    Enrollment.user_id == teacher.id, Enrollment.course_id.in_(course_ids))))
                for course_id in course_ids:
                    if course_id not in have:
                        db.session.add(Enrollment(course_id=course_id, user_id=teacher.id, method="program"))
            db.session.flush()
    except IntegrityError:
        return db.session.scalar(select(ProgramEnrollment).where(ProgramEnrollment.program_id == program.id,
                                                                 ProgramEnrollment.user_id == teacher.id))
    return row


def enrollment_of(program: TrainingProgram, user) -> ProgramEnrollment | None:
    return db.session.scalar(select(ProgramEnrollment).where(ProgramEnrollment.program_id == program.id,
                                                             ProgramEnrollment.user_id == user.id))


def enrollments_of(user) -> list[ProgramEnrollment]:
    return list(db.session.scalars(select(ProgramEnrollment).where(ProgramEnrollment.user_id == user.id)
                                   .order_by(ProgramEnrollment.enrolled_at)))


# ---- 学时 ----------------------------------------------------------------------------------------------------
def record_credit(user, *, seconds: float, source: str, evidence: str, course_id: int | None = None,
                  actor=None, note: str = "") -> CreditHourEntry:
    """Append one ledger line (sources other than video watching; video lines come from heartbeats only)."""
    spec = get_source(source)
    if spec is None or source == "video_watch":
        raise ValidationError(_("学时来源无效。"))
    if seconds <= 0 or seconds > 24 * SECONDS_PER_HOUR:
        raise ValidationError(_("学时必须大于 0 且不超过 24。"))
    if not evidence:
        raise ValidationError(_("请提供学时凭证。"))
    entry = CreditHourEntry(user_id=user.id, seconds=seconds, source=source, evidence=evidence[:255],
                            course_id=course_id, note=note[:255], created_by_id=actor.id if actor else None,
                            created_at=clock.now())
    db.session.add(entry)
    db.session.flush()
    return entry


def hours_by_course(user_id: int, course_ids: list[int]) -> dict[int, float]:
    """学时 per training course: lines recorded for the course plus video watching of the course's video
    activities."""
    return hours_by_course_many([user_id], course_ids)[user_id] if course_ids else {}


def hours_by_course_many(user_ids: list[int], course_ids: list[int]) -> dict[int, dict[int, float]]:
    """:func:`hours_by_course` of many teachers: two grouped queries whatever the numbers of teachers and courses."""
    from app.courses.models import Activity

    hours = {uid: dict.fromkeys(course_ids, 0.0) for uid in user_ids}
    if not course_ids or not user_ids:
        return hours
    direct = db.session.execute(
        select(CreditHourEntry.user_id, CreditHourEntry.course_id, func.sum(CreditHourEntry.seconds))
        .where(CreditHourEntry.user_id.in_(user_ids), CreditHourEntry.course_id.in_(course_ids))
        .group_by(CreditHourEntry.user_id, CreditHourEntry.course_id))
    # Each (course, video) pair once: a video listed twice in a course must not count its watching twice.
    listed = (select(Activity.course_id, Activity.target_id.label("video_id"))
              .where(Activity.kind == "video", Activity.course_id.in_(course_ids)).distinct().subquery())
    video = db.session.execute(
        select(CreditHourEntry.user_id, listed.c.course_id, func.sum(CreditHourEntry.seconds))
        .join(listed, listed.c.video_id == CreditHourEntry.video_id)
        .where(CreditHourEntry.user_id.in_(user_ids), CreditHourEntry.source == "video_watch")
        .group_by(CreditHourEntry.user_id, listed.c.course_id))
    for uid, course_id, seconds in list(direct) + list(video):
        hours[uid][course_id] += (seconds or 0.0) / SECONDS_PER_HOUR
    return hours


def total_hours(user_id: int) -> float:
    return total_hours_many([user_id])[user_id]


def total_hours_many(user_ids: list[int]) -> dict[int, float]:
    """学时 over all sources per teacher (one grouped query)."""
    sums = dict(db.session.execute(select(CreditHourEntry.user_id, func.sum(CreditHourEntry.seconds))
                                   .where(CreditHourEntry.user_id.in_(user_ids))
                                   .group_by(CreditHourEntry.user_id)).all()) if user_ids else {}
    return {uid: (sums.get(uid) or 0.0) / SECONDS_PER_HOUR for uid in user_ids}


def ledger_of(user_id: int, limit: int = 50) -> list[CreditHourEntry]:
    return list(db.session.scalars(select(CreditHourEntry).where(CreditHourEntry.user_id == user_id)
                                   .order_by(CreditHourEntry.id.desc()).limit(limit)))


# ---- practical task -------------------------------------------------------------------------------------------
PRACTICAL_KINDS = ("document",)


def submit_practical(program: TrainingProgram, user, file_storage) -> PracticalSubmission:
    """Store the uploaded task design (sniffed, generated name) as the teacher's practical submission."""
    from app.core.uploads import store_upload

    if not program.practical_title:
        raise ValidationError(_("本项目没有实践任务。"))
    stored = store_upload(file_storage, PRACTICAL_KINDS, prefix="practical")
    row = PracticalSubmission(program_id=program.id, user_id=user.id, storage_key=stored.key,
                              original_name=stored.original_name, mime=stored.mime, submitted_at=clock.now())
    db.session.add(row)
    db.session.flush()
    return row


RUBRIC = (("analysis", 40), ("design", 40), ("assessment", 20))


def review_practical(submission: PracticalSubmission, reviewer, scores: dict, comment: str = "") -> PracticalSubmission:
    """Score a submission with the rubric (分析 40 + 策划 40 + 考核设计 20 = 100). A submission is scored once:
    a second review would silently replace the first reviewer's score (the teacher submits again instead)."""
    if submission.score is not None:
        raise Conflict(_("该实践任务已评审。"))
    clean = {}
    for name, most in RUBRIC:
        try:
            value = float(scores.get(name, -1))
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= most:
            raise ValidationError(_("评分超出范围。"))
        clean[name] = value
    if submission.user_id == reviewer.id:
        raise ValidationError(_("不能评审自己提交的任务。"))
    submission.rubric_scores, submission.score = clean, sum(clean.values())
    submission.comment, submission.reviewer_id, submission.reviewed_at = comment, reviewer.id, clock.now()
    db.session.flush()
    return submission


def pending_practicals() -> list[PracticalSubmission]:
    """Submissions awaiting a score, oldest first, with their teacher and program (a fixed number of queries)."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(select(PracticalSubmission).where(PracticalSubmission.score.is_(None))
                                   .options(joinedload(PracticalSubmission.user), joinedload(PracticalSubmission.program))
                                   .order_by(PracticalSubmission.submitted_at)).unique())


# ---- requirements and certificates ----------------------------------------------------------------------------
def gather_facts(program: TrainingProgram, user) -> rules.Facts:
    """Everything the rules need about ``user`` in ``program``, in a fixed number of queries."""
    return gather_facts_many(program, [user.id])[user.id]


def gather_facts_many(program: TrainingProgram, user_ids: list[int]) -> dict[int, rules.Facts]:
    """:func:`gather_facts` for many teachers at once: the same grouped queries whatever their number (a batch
    of 1,000 certificates checks its teachers a chunk at a time instead of seven queries per teacher)."""
    from app.exams.models import Attempt

    ids = list(user_ids)
    if not ids:
        return {}
    course_ids = [pc.course_id for pc in program.courses]
    exam_ok: set[int] = set()
    if program.exam_id is not None:
        best = db.session.execute(select(Attempt.user_id, func.max(Attempt.score * 100.0 / Attempt.max_score)).where(
            Attempt.exam_id == program.exam_id, Attempt.user_id.in_(ids), Attempt.score.is_not(None),
            Attempt.max_score > 0).group_by(Attempt.user_id))
        exam_ok = {uid for uid, pct in best if pct is not None and pct >= program.exam_pass_percent - 1e-9}
    practical = {uid: (score, n) for uid, score, n in db.session.execute(
        select(PracticalSubmission.user_id, func.max(PracticalSubmission.score), func.count(PracticalSubmission.id))
        .where(PracticalSubmission.program_id == program.id, PracticalSubmission.user_id.in_(ids))
        .group_by(PracticalSubmission.user_id))}
    prereq: set[int] = set()
    if program.prerequisite_level_id is not None:
        prereq = set(db.session.scalars(select(Certificate.user_id).where(
            Certificate.user_id.in_(ids), Certificate.level_id == program.prerequisite_level_id,
            Certificate.revoked_at.is_(None))))
    totals = total_hours_many(ids)
    hours = hours_by_course_many(ids, course_ids)
    out = {}
    for uid in ids:
        score, submitted = practical.get(uid, (None, 0))
        out[uid] = rules.Facts(program=program, course_hours=hours[uid],
                               total_hours=totals[uid], exam_passed=uid in exam_ok,
                               practical_score=score, practical_submitted=submitted > 0,
                               has_prerequisite=uid in prereq)
    return out


def check_requirements(program: TrainingProgram, user) -> list[rules.Outcome]:
    return rules.evaluate(gather_facts(program, user))


def certificate_of(program: TrainingProgram, user) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.program_id == program.id,
                                                       Certificate.user_id == user.id))


def _next_serials(year: int, count: int = 1) -> list[str]:
    """Reserve ``count`` consecutive serial numbers of ``year`` (one locked counter update for a whole chunk)."""
    counter = db.session.get(SerialCounter, year, with_for_update=True)
    if counter is None:
        counter = SerialCounter(year=year, last=0)
        db.session.add(counter)
    first = counter.last + 1
    counter.last += count
    db.session.flush()
    return [f"GX-{year}-{n:06d}" for n in range(first, first + count)]


def issue_certificate(program: TrainingProgram, user, *, actor=None) -> Certificate:
    """Issue the certificate when every requirement is met; otherwise :class:`ValidationError` listing the
    reasons. Issuing twice is a :class:`Conflict`."""
    if certificate_of(program, user) is not None:
        raise Conflict(_("该教师已取得本项目证书。"))
    enrollment = enrollment_of(program, user)
    if enrollment is None:
        raise ValidationError(_("该教师未报名本项目。"))
    missing = [o.reason for o in check_requirements(program, user) if not o.ok]
    if missing:
        raise ValidationError(_("未满足发证条件：%(r)s", r="；".join(missing)))
    try:
        # A double click or a batch running at the same moment may issue it first: the unique (program, user)
        # constraint refuses this one, which then answers like the check above instead of failing the request.
        with db.session.begin_nested():
            return _create_certificate(program, user, enrollment, actor)
    except IntegrityError:
        raise Conflict(_("该教师已取得本项目证书。")) from None


def _create_certificate(program, user, enrollment, actor) -> Certificate:
    return _create_certificates(program, [(user, enrollment)], actor)[0]


def _create_certificates(program, pairs, actor) -> list[Certificate]:
    """Certificates for ``[(user, enrollment), ...]`` with consecutive serials, in two flushes."""
    if not pairs:
        return []
    today = clock.today()
    expires = None
    if program.validity_years:
        try:
            expires = today.replace(year=today.year + program.validity_years)
        except ValueError:  # 29 February
            expires = date(today.year + program.validity_years, 2, 28)
    now = clock.now()
    rows = []
    for serial, (user, enrollment) in zip(_next_serials(today.year, len(pairs)), pairs):
        school = user.school
        rows.append(dict(
            serial=serial, code=secrets.token_urlsafe(24), user_id=user.id, program_id=program.id,
            level_id=program.level_id, school_id=user.school_id, profession_id=enrollment.profession_id,
            holder_name=user.full_name or user.username, school_name=school.name if school else "",
            province=school.province if school else "",
            profession_name=enrollment.profession.name if enrollment.profession else "",
            level_name=program.level.name, program_title=program.title, issued_on=today, expires_on=expires,
            revoked_at=None, revoke_reason="", created_at=now))
    # Three statements whatever the number: the rows in one executemany, read back by serial, their events.
    db.session.flush()
    db.session.execute(insert(Certificate), rows)
    certs = list(db.session.scalars(select(Certificate).where(Certificate.serial.in_([r["serial"] for r in rows]))
                                    .order_by(Certificate.serial)))
    db.session.execute(insert(CertificateEvent), [
        dict(certificate_id=cert.id, action="issued", reason="", actor_id=actor.id if actor else None, created_at=now)
        for cert in certs])
    signals.certificate_changed.send("certification", certificate_ids=[c.id for c in certs], issued=True, reason="")
    return certs


#: Teachers checked (and certificates created) per chunk of a batch.
BATCH_CHUNK = 100


def pending_enrollments(program: TrainingProgram, *, after_id: int = 0,
                        limit: int | None = None) -> list[ProgramEnrollment]:
    """Enrollments of ``program`` without a certificate yet, by id, after ``after_id`` (a batch's cursor)."""
    held = select(Certificate.user_id).where(Certificate.program_id == program.id)
    stmt = (select(ProgramEnrollment).where(ProgramEnrollment.program_id == program.id,
                                            ProgramEnrollment.id > after_id, ProgramEnrollment.user_id.not_in(held))
            .order_by(ProgramEnrollment.id))
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def count_pending(program: TrainingProgram) -> int:
    held = select(Certificate.user_id).where(Certificate.program_id == program.id)
    return db.session.scalar(select(func.count(ProgramEnrollment.id)).where(
        ProgramEnrollment.program_id == program.id, ProgramEnrollment.user_id.not_in(held))) or 0


def issue_chunk(program: TrainingProgram, enrollments, *, actor=None) -> tuple[list[Certificate], dict]:
    """Check ``enrollments`` together (a fixed number of grouped queries) and issue to those who meet
    everything; returns (issued, {user: reasons})."""
    facts = gather_facts_many(program, [e.user_id for e in enrollments])
    ready, refused = [], {}
    for enrollment in enrollments:
        missing = [o.reason for o in rules.evaluate(facts[enrollment.user_id]) if not o.ok]
        if missing:
            refused[enrollment.user] = missing
        else:
            ready.append((enrollment.user, enrollment))
    return _create_certificates(program, ready, actor), refused


def issue_ready(program: TrainingProgram, *, actor=None, progress=None, after_chunk=None,
                chunk: int = BATCH_CHUNK) -> tuple[list[Certificate], dict]:
    """Batch: issue to every enrolled teacher who meets the requirements; returns (issued, {user: reasons}).

    Teachers are checked ``chunk`` at a time. After each chunk ``after_chunk()`` runs (the CLI commits there, so
    work survives an interruption and no request waits behind one long write transaction) and then
    ``progress(n)`` with the number of teachers checked.
    """
    issued, refused, cursor = [], {}, 0
    while True:
        enrollments = pending_enrollments(program, after_id=cursor, limit=chunk)
        if not enrollments:
            return issued, refused
        cursor = enrollments[-1].id
        new, no = issue_chunk(program, enrollments, actor=actor)
        issued += new
        refused.update(no)
        if after_chunk:
            after_chunk()
        if progress:
            progress(len(enrollments))


# ---- batch issue from the admin page ----------------------------------------------------------------------------
#: Refused teachers remembered on a batch row (the count is kept whole).
BATCH_REFUSED_SHOWN = 200


def start_batch(program: TrainingProgram, actor) -> CertificateBatch:
    """Open a batch issue over ``program``'s enrollments without a certificate; a batch of the program that is
    still running is returned instead of a second one."""
    running = db.session.scalar(select(CertificateBatch).where(CertificateBatch.program_id == program.id,
                                                               CertificateBatch.state == "running"))
    if running is not None:
        return running
    batch = CertificateBatch(program_id=program.id, total=count_pending(program), refused=[], pdf_keys=[],
                             created_by_id=actor.id if actor else None, created_at=clock.now())
    db.session.add(batch)
    db.session.flush()
    return batch


def get_batch(batch_id: int, *, lock: bool = False) -> CertificateBatch:
    """The batch (``lock``: its row locked for this transaction where the database can, and re-read)."""
    # FOR UPDATE OF the batch only: PostgreSQL refuses to lock the outer-joined rows of its eager loads.
    batch = db.session.get(CertificateBatch, batch_id, with_for_update={"of": CertificateBatch} if lock else None,
                           populate_existing=lock)
    if batch is None:
        raise NotFound(_("批量发证任务不存在。"))
    return batch


def recent_batches(limit: int = 20) -> list[CertificateBatch]:
    return list(db.session.scalars(select(CertificateBatch).order_by(CertificateBatch.id.desc()).limit(limit)))


def run_batch_chunk(batch: CertificateBatch, *, actor=None) -> list[Certificate]:
    """Check the next ``BATCH_CHUNK`` teachers of ``batch`` and issue to those who meet everything; the batch
    row records the progress (``done`` when nobody is left). Returns the new certificates."""
    if batch.state != "running":
        return []
    enrollments = pending_enrollments(batch.program, after_id=batch.cursor, limit=BATCH_CHUNK)
    if not enrollments:
        batch.state, batch.finished_at = "done", clock.now()
        batch.total = batch.checked  # teachers certified elsewhere meanwhile were not checked here
        db.session.flush()
        if batch.created_by_id:
            signals.import_finished.send(
                "certification", user_id=batch.created_by_id,
                title=_("批量发证完成：%(program)s", program=batch.program.title),
                body=_("已检查 %(checked)s 人，发证 %(issued)s 人，未发 %(refused)s 人。", checked=batch.checked,
                       issued=batch.issued, refused=batch.refused_count),
                url=f"/training/batches/{batch.id}")
        return []
    issued, refused = issue_chunk(batch.program, enrollments, actor=actor)
    batch.cursor = enrollments[-1].id
    batch.checked += len(enrollments)
    batch.total = max(batch.total, batch.checked)
    batch.issued += len(issued)
    batch.refused_count += len(refused)
    room = BATCH_REFUSED_SHOWN - len(batch.refused or [])
    if room > 0 and refused:
        batch.refused = list(batch.refused or []) + [
            {"name": user.full_name or user.username, "username": user.username, "reasons": reasons}
            for user, reasons in list(refused.items())[:room]]
    db.session.flush()
    return issued


def render_batch_part(certs, verify_url) -> bytes:
    """One print-ready PDF of ``certs`` (a page each); ``verify_url(cert)`` gives each QR code's address."""
    return certificates_pdf([(cert, verify_url(cert)) for cert in certs])


def add_batch_part(batch: CertificateBatch, data: bytes) -> str:
    """Store a PDF part of ``batch`` under a generated key and remember it on the batch."""
    from app.core.storage import get_storage, new_key

    key = new_key(f"certificate-batches/{batch.id}", "pdf")
    get_storage().put(key, data)
    batch.pdf_keys = list(batch.pdf_keys or []) + [key]
    db.session.flush()
    return key


def issue_if_complete(program: TrainingProgram, user) -> Certificate | None:
    """Automatic issue at completion: a certificate if the teacher now meets everything, else ``None``."""
    enrollment = enrollment_of(program, user)
    if enrollment is None or certificate_of(program, user) is not None:
        return None
    if all(o.ok for o in check_requirements(program, user)):
        return _create_certificate(program, user, enrollment, None)
    return None


def issue_completed(user_ids) -> list[Certificate]:
    """Automatic issue at completion: a certificate in every program these teachers are enrolled in and hold none
    of, for each teacher who now meets every requirement. Grouped queries per program, whatever the number of
    teachers; called when results change (a course completed, an exam graded, offline hours recorded).

    A concurrent request may issue the same certificate first: the unique (program, user) constraint refuses the
    second, and that refusal (rolled back to a SAVEPOINT) means "already issued"."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    held = select(Certificate.id).where(Certificate.program_id == ProgramEnrollment.program_id,
                                        Certificate.user_id == ProgramEnrollment.user_id).exists()
    by_program: dict[int, list[ProgramEnrollment]] = {}
    for enrollment in db.session.scalars(select(ProgramEnrollment).where(ProgramEnrollment.user_id.in_(ids), ~held)
                                         .order_by(ProgramEnrollment.program_id, ProgramEnrollment.id)):
        by_program.setdefault(enrollment.program_id, []).append(enrollment)
    issued = []
    for enrollments in by_program.values():
        try:
            with db.session.begin_nested():
                issued += issue_chunk(enrollments[0].program, enrollments)[0]
        except IntegrityError:
            continue
    return issued


def revoke_certificate(cert: Certificate, reason: str, actor) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写撤销原因。"))
    if cert.revoked_at is not None:
        raise Conflict(_("证书已被撤销。"))
    cert.revoked_at, cert.revoke_reason = clock.now(), reason[:255]
    db.session.add(CertificateEvent(certificate_id=cert.id, action="revoked", reason=reason[:255],
                                    actor_id=actor.id if actor else None, created_at=clock.now()))
    db.session.flush()
    signals.certificate_changed.send("certification", certificate_ids=[cert.id], issued=False, reason=reason)
    return cert


def get_certificate(cert_id: int) -> Certificate:
    return get_or_raise(Certificate, cert_id, _("证书不存在。"))


def find_by_code(code: str) -> Certificate | None:
    """Only a well-formed random code finds a certificate; serials and short guesses never do."""
    if not isinstance(code, str) or len(code) != 32 or not all(c.isalnum() or c in "-_" for c in code):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def status_of(cert: Certificate) -> str:
    """``valid``, ``revoked`` or ``expired`` (on today's date)."""
    if cert.revoked_at is not None:
        return "revoked"
    if cert.expires_on is not None and cert.expires_on < clock.today():
        return "expired"
    return "valid"


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳小明 -> 欧***: enough to match a person in front of you, not to look one up."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def certificate_pdf(cert: Certificate, verify_url: str) -> bytes:
    """The certificate as an A4 landscape PDF in Chinese with a QR code to the verification page."""
    return certificates_pdf([(cert, verify_url)])


def certificates_pdf(items) -> bytes:
    """Several certificates as one print-ready PDF, a page each: ``items`` is ``[(cert, verify_url), ...]``.

    Loading and subsetting the CJK font is most of the cost of a PDF (about 0.7 s of CPU), so a batch shares
    one document and pays it once."""
    from app.core.pdf import cjk_pdf, to_bytes

    items = list(items)
    pdf = cjk_pdf(orientation="landscape", title=items[0][0].serial if len(items) == 1 else _("证书"))
    for cert, verify_url in items:
        _draw_certificate(pdf, cert, verify_url)
    return to_bytes(pdf)


def _draw_certificate(pdf, cert: Certificate, verify_url: str) -> None:
    from app.core.i18n import fmt_date
    from app.core.pdf import qr_code

    pdf.add_page()
    pdf.set_draw_color(150, 30, 30)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_font(size=28)
    pdf.set_y(30)
    pdf.cell(0, 14, _("工学一体化教师培训证书"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=14)
    pdf.ln(8)
    lines = [(_("姓名"), cert.holder_name), (_("工作单位"), cert.school_name), (_("专业"), cert.profession_name or "—"),
             (_("层级"), cert.level_name), (_("培训项目"), cert.program_title),
             (_("发证日期"), fmt_date(cert.issued_on)),
             (_("有效期至"), fmt_date(cert.expires_on) if cert.expires_on else _("长期有效")),
             (_("证书编号"), cert.serial)]
    for label, value in lines:
        pdf.set_x(40)
        pdf.cell(40, 10, label + "：")
        # wrapped inside the frame (left of the QR code) when a school or program name is long
        pdf.multi_cell(140, 10, value, new_x="LMARGIN", new_y="NEXT")
    qr_code(pdf, verify_url, x=225, y=120, size=45)
    pdf.set_font(size=9)
    pdf.set_xy(205, 167)
    pdf.multi_cell(80, 5, _("扫码核验证书真伪"), align="C")


# ---- offline training import (attendance sheet) ----------------------------------------------------------------
OFFLINE_COLUMNS = {"username": ("用户名", "username", "账号"), "hours": ("学时", "hours"),
                   "note": ("备注", "note", "培训内容")}


def import_offline_training(filename: str, data: bytes, *, course, actor, evidence: str) -> int:
    """Record offline training hours from an attendance sheet (CSV/XLSX: 用户名, 学时, 备注).

    All or nothing: every row is checked first (unknown teachers, hours not a number or out of range); any
    error raises :class:`ValidationError` listing the rows, and nothing is written. A sheet whose ``evidence``
    already has lines in the ledger was imported before and adds nothing. Returns the lines added.
    """
    from app.auth.models import User
    from app.core.tabular import missing_columns, pick, read_table

    table = read_table(filename, data)
    missing = missing_columns(table.headers, OFFLINE_COLUMNS, ("username", "hours"))
    if missing:
        raise ValidationError(_("缺少列：%(c)s", c="、".join(OFFLINE_COLUMNS[m][0] for m in missing)))
    names = {pick(row, OFFLINE_COLUMNS, "username").strip() for _n, row in table.rows}
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))} if names else {}
    errors, plan = [], []
    for number, row in table.rows:
        username = pick(row, OFFLINE_COLUMNS, "username").strip()
        user = users.get(username)
        if user is None:
            errors.append(_("第 %(n)s 行：找不到教师“%(u)s”", n=number, u=username))
            continue
        if actor is not None and not actor.has_role("platform_admin") and user.school_id != actor.school_id:
            errors.append(_("第 %(n)s 行：教师“%(u)s”不属于本校", n=number, u=username))
            continue
        try:
            hours = float(pick(row, OFFLINE_COLUMNS, "hours"))
        except ValueError:
            hours = -1.0
        if not 0 < hours <= 24:
            errors.append(_("第 %(n)s 行：学时必须大于 0 且不超过 24", n=number))
            continue
        plan.append((user, hours, pick(row, OFFLINE_COLUMNS, "note")))
    if errors:
        raise ValidationError("；".join(errors))
    if not plan:
        raise ValidationError(_("文件中没有数据行。"))
    if db.session.scalar(select(CreditHourEntry.id).where(CreditHourEntry.source == "offline_training",
                                                          CreditHourEntry.evidence == evidence[:255]).limit(1)):
        return 0
    for user, hours, note in plan:
        record_credit(user, seconds=hours * SECONDS_PER_HOUR, source="offline_training", evidence=evidence,
                      course_id=course.id, actor=actor, note=note)
    issue_completed([user.id for user, _h, _n in plan])  # these hours may be the last requirement
    return len(plan)
