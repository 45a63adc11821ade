"""argon2id hashing with parameters from the config; hashes made with older parameters are renewed at login."""
from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_hashers: dict[tuple, PasswordHasher] = {}


def hasher() -> PasswordHasher:
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2], type=Type.ID)
    return _hashers[key]


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not a hash exists: unknown users cost the same as wrong passwords."""
    ph = hasher()
    if not stored:
        stored = _dummy_hash()
        try:
            ph.verify(stored, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


_dummy: dict[tuple, str] = {}


def _dummy_hash() -> str:
    ph = hasher()
    key = (ph.time_cost, ph.memory_cost, ph.parallelism)
    if key not in _dummy:
        _dummy[key] = ph.hash("not-a-real-password")
    return _dummy[key]
