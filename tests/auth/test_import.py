"""Bulk import: all rows or none, with row-level errors; re-import changes nothing."""
from __future__ import annotations

import io
import zipfile

import openpyxl
from sqlalchemy import func, select

from app.auth import imports
from app.auth.models import ActivationCode, User
from app.errors import ValidationError
from app.extensions import db
from tests import factories

HEADER = "用户名,姓名,角色,学校代码,邮箱\n"


def _count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_csv_import_creates_users_with_activation_codes_and_reimport_changes_nothing():
    school = factories.school(key="imp-school")
    data = (HEADER + "stu001,学生一,学生,imp-school,\nstu002,学生二,学生,imp-school,a@b.cn\n"
            "tea001,老师一,教师,imp-school,\n").encode("utf-8")
    report = imports.import_users(None, "users.csv", data)
    assert report.ok and report.created == 3 and len(report.codes) == 3
    assert {c[0] for c in report.codes} == {"stu001", "stu002", "tea001"}
    assert db.session.scalar(select(func.count()).select_from(ActivationCode)) >= 3
    user = db.session.scalar(select(User).where(User.username == "tea001"))
    assert user.school_id == school.id and user.role_names == {"teacher"} and user.password_hash is None
    before = _count_users()
    again = imports.import_users(None, "users.csv", data)
    assert again.ok and again.created == 0 and again.unchanged == 3
    assert _count_users() == before


def test_gbk_csv_from_excel_is_read():
    factories.school(key="gbk-school")
    data = (HEADER + "gbk01,张三,学生,gbk-school,\n").encode("gbk")
    report = imports.import_users(None, "users.csv", data)
    assert report.ok and report.created == 1 and report.encoding == "gb18030"
    assert db.session.scalar(select(User.full_name).where(User.username == "gbk01")) == "张三"


def test_every_bad_row_is_reported_and_nothing_is_written():
    factories.school(key="bad-school")
    factories.user("teacher", username="taken")
    before = _count_users()
    data = (HEADER + "ok01,好,学生,bad-school,\n"
            "dup,甲,学生,bad-school,\n"
            "dup,乙,学生,bad-school,\n"
            "x1,丙,校长,bad-school,\n"
            "x2,丁,学生,no-such-school,\n"
            "x3,戊,学生,bad-school,not-an-email\n"
            "taken,己,学生,bad-school,\n").encode("utf-8")
    report = imports.import_users(None, "users.csv", data)
    assert not report.ok
    by_row = {e.row: e.message for e in report.errors}
    assert "重复" in by_row[4] and "第 3 行" in by_row[4]
    assert "未知角色" in by_row[5]
    assert "未知学校" in by_row[6]
    assert "邮箱格式不正确" in by_row[7]
    assert "已被其他账号使用" in by_row[8]
    assert 2 not in by_row
    assert _count_users() == before


def test_values_longer_than_their_columns_are_row_errors_not_a_failed_insert():
    factories.school(key="long-school")
    before = _count_users()
    data = ("用户名,姓名,角色,学校代码,邮箱,手机号\n"
            "long01,正常,学生,long-school,,13800000000\n"
            f"long02,{'长' * 101},学生,long-school,,\n"
            f"long03,三,学生,long-school,,{'1' * 33}\n"
            f"long04,四,学生,long-school,{'a' * 250}@b.cn,\n").encode("utf-8")
    report = imports.import_users(None, "users.csv", data)
    by_row = {e.row: e.message for e in report.errors}
    assert set(by_row) == {3, 4, 5}
    assert "姓名过长" in by_row[3] and "手机号过长" in by_row[4] and "邮箱格式不正确" in by_row[5]
    assert _count_users() == before


def test_xlsx_import_with_empty_rows_and_chinese_headers():
    factories.school(key="xl-school")
    rows = [["用户名", "姓名", "角色", "学校代码"], ["xl01", "甲", "学生", "xl-school"]]
    rows += [[None, None, None, None]] * 50 + [["xl02", "乙", "教师,学生", "xl-school"]]
    report = imports.import_users(None, "users.xlsx", _xlsx(rows))
    assert report.ok and report.created == 2
    assert db.session.scalar(select(User).where(User.username == "xl02")).role_names == {"teacher", "student"}


def test_unreadable_files_get_a_clear_message():
    cases = {
        b"": "文件是空的",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100: "旧版 Excel",
        bytes(range(256)) * 40000: "无法识别",
        "username,full_name\nbob,Bob\n".encode(): "缺少必需的列：角色。",
        "用户名,姓名,角色\n".encode(): "没有数据行",
        # 10 MB of junk on one line, and an unclosed quote: a Chinese message with the line, not csv's English.
        b"x" * (10 * 2**20): "CSV 格式错误（第 1 行）",
        b'username,roles\nbob,"student\n' + b"y" * 200_000: "CSV 格式错误（第 ",
    }
    for data, expected in cases.items():
        try:
            imports.import_users(None, "f.csv", data)
        except ValidationError as exc:
            assert expected in exc.message, (expected, exc.message)
            assert "field limit" not in exc.message and "role。" not in exc.message
        else:
            raise AssertionError(f"accepted: {data[:20]!r}")


def test_zip_bomb_is_refused_before_it_is_opened():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (150 * 1024 * 1024))
    try:
        imports.import_users(None, "bomb.xlsx", out.getvalue())
    except ValidationError as exc:
        assert "压缩" in exc.message or "过大" in exc.message
    else:
        raise AssertionError("zip bomb accepted")


def test_school_admin_imports_only_into_their_school(client, login_as):
    admin = login_as("school_admin")
    other = factories.school(key="other-school")
    db.session.commit()
    data = (HEADER + f"mine01,本校,学生,,\nthem01,外校,学生,{other.key},\nboss,管理员,平台管理员,,\n").encode()
    response = client.form("/users/import", {"file": (io.BytesIO(data), "u.csv")}, token_from="/users/import",
                           content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "只能导入本校用户" in page and "您不能分配角色" in page
    assert db.session.scalar(select(User).where(User.username == "mine01")) is None
    ok = client.form("/users/import", {"file": (io.BytesIO((HEADER + "mine01,本校,学生,,\n").encode()), "u.csv")},
                     token_from="/users/import", content_type="multipart/form-data")
    assert ok.status_code == 200
    assert db.session.scalar(select(User).where(User.username == "mine01")).school_id == admin.school_id
    import re

    link = re.search(r'href="(/users/import/\d+/codes\.xlsx)"', ok.get_data(as_text=True)).group(1)
    sheet = client.get(link)
    assert sheet.status_code == 200 and "filename*=UTF-8''" in sheet.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(sheet.data))
    values = [row for row in workbook.active.iter_rows(values_only=True)]
    assert values[1][0] == "mine01" and len(values[1][3]) == 23


def test_cli_import_writes_the_codes_sheet(runner, tmp_path):
    factories.school(key="cli-school")
    db.session.commit()
    path = tmp_path / "users.csv"
    path.write_text(HEADER + "cli01,甲,学生,cli-school,\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新建 1 个" in result.output
    assert (tmp_path / "users-activation-codes.xlsx").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "cli02,乙,学生,nowhere,\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(bad)])
    assert result.exit_code != 0 and "第 2 行" in result.output


def test_the_downloadable_template_imports_as_it_is():
    """The template's example rows name a school that the shipped content defines."""
    report = imports.import_users(None, "用户导入模板.xlsx", imports.template_sheet(), dry_run=True)
    assert report.ok, [e.message for e in report.errors]
    assert report.created == 2


def test_users_create_refuses_a_name_longer_than_the_column(runner):
    result = runner.invoke(args=["users", "create", "--username", "longname", "--role", "teacher",
                                 "--full-name", "长" * 101])
    assert result.exit_code == 1 and "姓名过长" in result.output
    assert db.session.scalar(select(User).where(User.username == "longname")) is None


def test_phone_numbers_must_be_mobile_or_landline_numbers():
    factories.school(key="tel-school")
    good = ["13800138000", "+8613912345678", "+86-15012345678", "138 0013 8000", "010-12345678", "0755-1234567",
            "02112345678", "010-12345678-123", "0571-87654321转8001"]
    bad = ["abc", "12345", "23800138000", "1380013800", "138001380001", "12012345678", "010-123", "+1 2025550123",
           "010-12345678转", "电话"]
    lines = [f"tel{i:02d},甲{i},学生,tel-school,,{phone}" for i, phone in enumerate(good + bad)]
    data = ("用户名,姓名,角色,学校代码,邮箱,手机号\n" + "\n".join(lines) + "\n").encode("utf-8")
    report = imports.import_users(None, "users.csv", data)
    by_row = {e.row: e.message for e in report.errors}
    assert set(by_row) == {len(good) + 2 + i for i in range(len(bad))}, by_row
    assert "电话号码格式不正确：abc" in by_row[len(good) + 2]
    report = imports.import_users(None, "users.csv", ("用户名,姓名,角色,学校代码,邮箱,手机号\n" + "\n".join(
        lines[:len(good)]) + "\n").encode("utf-8"))
    assert report.ok and report.created == len(good)


def test_the_profile_forms_check_the_phone_too(client, login_as):
    from app.auth import services

    admin = login_as("platform_admin")
    try:
        services.create_user(username="telbad", roles=["teacher"], phone="abc")
    except ValidationError as exc:
        assert "电话号码格式不正确" in exc.message
    else:
        raise AssertionError("a phone number 'abc' was accepted")
    user = factories.user("teacher")
    db.session.commit()
    response = client.form(f"/users/{user.id}/edit", {"username": user.username, "full_name": "改电话",
                                                      "phone": "abc", "roles": ["teacher"],
                                                      "school_id": user.school_id, "enterprise_id": 0,
                                                      "version": user.version},
                           token_from=f"/users/{user.id}/edit")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "电话号码格式不正确" in page and 'value="改电话"' in page
    assert admin


def test_an_empty_name_is_a_row_error():
    factories.school(key="name-school")
    before = _count_users()
    data = (HEADER + "nm01,,学生,name-school,\nnm02,  ,学生,name-school,\nnm03,好,学生,name-school,\n").encode()
    report = imports.import_users(None, "users.csv", data)
    by_row = {e.row: e.message for e in report.errors}
    assert set(by_row) == {2, 3} and all("缺少姓名" in m for m in by_row.values())
    assert _count_users() == before
    try:
        imports.import_users(None, "users.csv", "用户名,角色\nnm04,学生\n".encode())
    except ValidationError as exc:
        assert "缺少必需的列：姓名" in exc.message
    else:
        raise AssertionError("a file without 姓名 was accepted")


def test_a_school_admin_imports_mentors_of_partner_enterprises_only(client, login_as):
    from app.orgs import services as orgs

    admin = login_as("school_admin")
    partner = factories.enterprise(key="partner-auto", name="合作汽修厂")
    stranger = factories.enterprise(key="stranger-auto", name="无关企业")
    orgs.add_partnership(admin.school, partner, "apprenticeship")
    db.session.commit()

    def upload(text: str):
        data = ("用户名,姓名,角色,学校代码,企业代码\n" + text).encode()
        return client.form("/users/import", {"file": (io.BytesIO(data), "u.csv")}, token_from="/users/import",
                           content_type="multipart/form-data")

    refused = upload("m01,王师傅,企业导师,,stranger-auto\nm02,李师傅,教师,,partner-auto\n"
                     "m03,赵师傅,导师,,\n")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "不是本校的合作企业" in page and "无关企业" in page
    assert "您不能分配角色：教师" in page and "您不能分配角色：企业导师" in page  # roles by name
    assert "mentor" not in page.split('data-testid="import-report"')[1]  # never the raw key
    assert db.session.scalar(select(User).where(User.username.in_(["m01", "m02", "m03"]))) is None
    ok = upload("m04,孙师傅,企业导师,,partner-auto\n")
    assert ok.status_code == 200, ok.get_data(as_text=True)[-2000:]
    mentor = db.session.scalar(select(User).where(User.username == "m04"))
    assert mentor.enterprise_id == partner.id and mentor.school_id is None and mentor.role_names == {"mentor"}
    assert stranger
