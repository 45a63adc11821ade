"""Accounts: the public operations. Services flush; the caller (a view or a CLI command) commits."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import defaultload

from app.auth import passwords
from app.auth.models import ActivationCode, ApiToken, Role, User, UserRole, UserSession
from app.core import clock
from app.core.database import lock_row
from app.errors import Conflict, PermissionDenied, ValidationError, get_or_raise
from app.extensions import db

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A mainland mobile number (optionally +86), or a landline: area code 0xx/0xxx, an optional hyphen, 7–8 digits
#: and an optional extension (-123, 转123, #123, ext123). Spaces are ignored.
PHONE_RE = re.compile(r"^(?:(?:\+86-?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:(?:-|转|#|ext\.?)\d{1,6})?)$")
MIN_PASSWORD_LENGTH = 8
#: A session's last_seen_at is written at most this often.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def validate_username(username: str) -> str:
    username = normalize_username(username)
    if not USERNAME_RE.match(username):
        raise ValidationError(_("用户名只能包含小写字母、数字、点、下划线和连字符，长度 2–64。"))
    return username


def validate_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationError(_("邮箱格式不正确：%(email)s", email=email))
    return email


def phone_error(phone: str) -> str | None:
    """Why ``phone`` is not a phone number (None when it is one): too long for its column, or neither a mainland
    mobile nor a landline number."""
    if len(phone) > 32:
        return _("手机号过长（最多 %(n)s 位）", n=32)
    if not PHONE_RE.match(re.sub(r"\s+", "", phone)):
        return _("电话号码格式不正确：%(phone)s（应为手机号，如 13800138000，或座机号，如 010-12345678）", phone=phone)
    return None


def validate_phone(phone: str | None) -> str | None:
    """The trimmed phone number (None when empty); ValidationError when it is not one."""
    phone = (phone or "").strip() or None
    if phone is not None:
        error = phone_error(phone)
        if error:
            raise ValidationError(error)
    return phone


def validate_profile(full_name: str | None, phone: str | None) -> tuple[str, str | None]:
    """Trimmed name and phone, refused when longer than their columns (scripts bypass the form's limits) or
    when the phone is not a phone number."""
    full_name = (full_name or "").strip()
    if len(full_name) > 100:
        raise ValidationError(_("姓名过长（最多 %(n)s 个字）", n=100))
    return full_name, validate_phone(phone)


def validate_roles(roles) -> list[str]:
    out = []
    for role in roles:
        value = role.value if isinstance(role, Role) else str(role).strip()
        if value not in Role.__members__:
            raise ValidationError(_("未知角色：%(role)s", role=value))
        if value not in out:
            out.append(value)
    if not out:
        raise ValidationError(_("至少需要一个角色。"))
    return out


def check_password_policy(password: str) -> None:
    from config import DEMO_PASSWORD

    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(_("密码至少需要 %(n)s 个字符。", n=MIN_PASSWORD_LENGTH))
    if current_app.config.get("REFUSE_DEMO_PASSWORD") and password == DEMO_PASSWORD:
        raise ValidationError(_("生产环境不能使用演示密码。"))


def get_user(user_id: int) -> User:
    return get_or_raise(User, user_id, _("用户不存在。"))


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalize_username(username)))


def create_user(*, username: str, roles, full_name: str = "", email: str | None = None, phone: str | None = None,
                school=None, enterprise=None, password: str | None = None) -> User:
    """Create an account. Without a password the user activates it with a code (see issue_activation_code)."""
    username = validate_username(username)
    if find_user(username) is not None:
        raise Conflict(_("用户名 %(u)s 已存在。", u=username))
    if school is not None and enterprise is not None:
        raise ValidationError(_("用户只能属于一个学校或一个企业。"))
    full_name, phone = validate_profile(full_name, phone)
    user = User(username=username, full_name=full_name, email=validate_email(email), phone=phone, school=school,
                enterprise=enterprise)
    user.roles = [UserRole(role=r) for r in validate_roles(roles)]
    if password is not None:
        check_password_policy(password)
        user.password_hash = passwords.hash_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, expected_version: int | None = None, roles=None, **fields) -> User:
    """Edit profile fields and roles. A role change logs the user out everywhere."""
    lock_row(user, "version")
    if expected_version is not None and expected_version != user.version:
        raise Conflict(_("该用户已被其他人修改，请刷新后重试。"))
    if "email" in fields:
        fields["email"] = validate_email(fields["email"])
    if "phone" in fields:
        fields["phone"] = validate_phone(fields["phone"])
    if fields.get("school") is not None and fields.get("enterprise") is not None:
        raise ValidationError(_("用户只能属于一个学校或一个企业。"))
    for name, value in fields.items():
        if name not in {"full_name", "email", "phone", "school", "enterprise"}:
            raise ValueError(name)
        setattr(user, name, value)
    if roles is not None:
        new = validate_roles(roles)
        if set(new) != user.role_names:
            user.roles = [r for r in user.roles if r.role in new] + [
                UserRole(role=r) for r in new if r not in user.role_names]
            end_all_sessions(user)
    user.version += 1
    db.session.flush()
    return user


def set_active(user: User, active: bool) -> User:
    """Deactivation ends the user's sessions and revokes their API tokens."""
    user.is_active = active
    user.version += 1
    if not active:
        end_all_sessions(user)
        db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=clock.now()))
    db.session.flush()
    return user


def set_password(user: User, new_password: str, *, keep_session: UserSession | None = None) -> None:
    """Set a password and end every other session of the user."""
    check_password_policy(new_password)
    user.password_hash = passwords.hash_password(new_password)
    end_all_sessions(user, except_session=keep_session)
    # Once the person has a password, no code still lying around (a reissued one, the import sheet) may reset it.
    void_activation_codes(user)
    db.session.flush()


def change_password(user: User, current_password: str, new_password: str, *, keep_session=None) -> None:
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationError(_("当前密码不正确。"))
    set_password(user, new_password, keep_session=keep_session)


class LoginFailed(ValidationError):
    pass


def authenticate(username: str, password: str) -> User:
    """Check credentials. Unknown user and wrong password give the same error after the same work."""
    user = find_user(username)
    ok = passwords.verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None:
        raise LoginFailed(_("用户名或密码错误。"))
    if not user.is_active:
        raise LoginFailed(_("该账号已停用，请联系学校或平台管理员。"))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = clock.now()
    db.session.flush()
    return user


# -- server-side sessions ------------------------------------------------------------------------------------

def start_session(user: User) -> str:
    """Record a new logged-in browser; returns the token the session cookie carries."""
    token = secrets.token_urlsafe(32)
    ua = request.headers.get("User-Agent", "")[:255] if request else None
    ip = request.remote_addr if request else None
    db.session.add(UserSession(user_id=user.id, token_hash=sha256(token), ip=ip, user_agent=ua))
    db.session.flush()
    user._session_token = token
    return token


_LOOKUPS: dict = {}


def _lookup(kind: str):
    """The statement finding a browser session or an API token by its hash, built once (every request runs one).

    One indexed query with the user, school and enterprise joined; the user's roles load on first use, so a
    request that never asks for them (the video heartbeat, 133/s with 2,000 teachers watching) skips that query.
    """
    stmt = _LOOKUPS.get(kind)
    if stmt is None:
        model = {"session": UserSession, "token": ApiToken}[kind]
        stmt = _LOOKUPS[kind] = (select(model).where(model.token_hash == bindparam("token_hash"))
                                 .options(defaultload(model.user).lazyload(User.roles)))
    return stmt


def load_session(token: str) -> UserSession | None:
    """The live session for a cookie token, or None (unknown, ended, or its user deactivated)."""
    if not token:
        return None
    record = db.session.scalar(_lookup("session"), {"token_hash": sha256(token)})
    if record is None or not record.user.is_active:
        return None
    record.user._session_token = token
    return record


def touch_session(record: UserSession) -> bool:
    """Update last_seen_at when it is stale; returns whether anything changed."""
    now = clock.now()
    if now - clock.as_utc(record.last_seen_at) >= SESSION_TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.flush()
        return True
    return False


def end_session(token: str) -> None:
    db.session.execute(delete(UserSession).where(UserSession.token_hash == sha256(token)))


def end_all_sessions(user: User, *, except_session: UserSession | None = None) -> None:
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if except_session is not None:
        stmt = stmt.where(UserSession.id != except_session.id)
    db.session.execute(stmt)


# -- API tokens ----------------------------------------------------------------------------------------------

def issue_api_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a personal token; the plain token is returned once and never stored."""
    if not user.is_active:
        raise ValidationError(_("该账号已停用，不能创建令牌。"))
    plain = "gx_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip()[:100], token_hash=sha256(plain), prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    return token, plain


def authenticate_token(plain: str) -> User | None:
    token = db.session.scalar(_lookup("token"), {"token_hash": sha256(plain or "")})
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - clock.as_utc(token.last_used_at) > SESSION_TOUCH_INTERVAL:
        token.last_used_at = now
    return token.user


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    token = get_or_raise(ApiToken, token_id, _("令牌不存在。"), belongs_to={"user_id": user.id})
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        db.session.flush()
    return token


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc())))


# -- activation codes ----------------------------------------------------------------------------------------

def new_activation_code() -> str:
    """20 characters from a 32-letter alphabet: 100 random bits, grouped for reading aloud."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(20))
    return "-".join(raw[i:i + 5] for i in range(0, 20, 5))


def normalize_code(code: str) -> str:
    raw = re.sub(r"[\s-]", "", (code or "").upper())
    return "-".join(raw[i:i + 5] for i in range(0, len(raw), 5))


def void_activation_codes(user: User) -> None:
    """Expire every unused activation code of ``user``."""
    now = clock.now()
    db.session.execute(update(ActivationCode).where(
        ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None), ActivationCode.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False))


def issue_activation_code(user: User, *, batch_id: int | None = None) -> str:
    """A new one-time code for ``user``; earlier unused codes stop working (a reissue replaces a lost sheet)."""
    void_activation_codes(user)
    code = new_activation_code()
    db.session.add(ActivationCode(user_id=user.id, code_hash=sha256(code), batch_id=batch_id,
                                  expires_at=clock.now() + current_app.config["ACTIVATION_CODE_TTL"]))
    db.session.flush()
    return code


def activate_account(username: str, code: str, new_password: str) -> User:
    """Exchange a valid, unexpired, unused activation code for a password."""
    user = find_user(username)
    record = None
    if user is not None:
        record = db.session.scalar(select(ActivationCode).where(
            ActivationCode.user_id == user.id, ActivationCode.code_hash == sha256(normalize_code(code))))
    if record is None or record.used_at is not None or clock.as_utc(record.expires_at) <= clock.now():
        raise LoginFailed(_("激活码无效或已过期，请联系管理员重新获取。"))
    if not user.is_active:
        raise LoginFailed(_("该账号已停用，请联系学校或平台管理员。"))
    set_password(user, new_password)
    record.used_at = clock.now()
    db.session.flush()
    return user


# -- queries -------------------------------------------------------------------------------------------------

def count_users_by_role(school_id: int | None = None) -> dict[str, int]:
    stmt = (select(UserRole.role, func.count()).join(User, User.id == UserRole.user_id)
            .where(User.is_active.is_(True)).group_by(UserRole.role))
    if school_id is not None:
        stmt = stmt.where(User.school_id == school_id)
    counts = dict(db.session.execute(stmt).all())
    return {role.value: counts.get(role.value, 0) for role in Role}


def search_users(*, q: str = "", role: str = "", school_id: int | None = None, active: str = ""):
    """A select over users for list pages (paginate it)."""
    stmt = select(User).order_by(User.username)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where((User.username.ilike(like)) | (User.full_name.ilike(like)))
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if school_id is not None:
        stmt = stmt.where(User.school_id == school_id)
    if active == "1":
        stmt = stmt.where(User.is_active.is_(True))
    elif active == "0":
        stmt = stmt.where(User.is_active.is_(False))
    return stmt


def require(condition: bool) -> None:
    """Raise 403 unless ``condition`` holds (used with the permission predicates)."""
    if not condition:
        raise PermissionDenied(_("您没有执行此操作的权限。"))
