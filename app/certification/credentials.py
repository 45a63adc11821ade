"""Open Badges 3.0 credentials signed as VC-JWT (EdDSA / Ed25519), and the issuer's public key as a JWKS.

The private key comes from ``CERT_SIGNING_KEY`` (PEM) or is created once in the instance folder
(``certificate-signing-key.pem``, mode 600). A verifier needs only the JWKS (``/.well-known/jwks.json``) to
check a credential offline.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app, url_for

from app.core import clock

_cache: dict[str, Ed25519PrivateKey] = {}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key() -> Ed25519PrivateKey:
    pem = current_app.config.get("CERT_SIGNING_KEY")
    path = os.path.join(current_app.instance_path, "certificate-signing-key.pem")
    cache_key = pem or path
    if cache_key in _cache:
        return _cache[cache_key]
    if pem:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    elif os.path.exists(path):
        with open(path, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
    else:
        key = Ed25519PrivateKey.generate()
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    _cache[cache_key] = key
    return key


def public_jwk() -> dict:
    raw = signing_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = b64url(raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA", "use": "sig",
            "kid": hashlib.sha256(raw).hexdigest()[:16]}


def issuer_profile() -> dict:
    """The issuer (OB3 Profile) a credential points at."""
    return {"id": url_for("certification.issuer", _external=True), "type": ["Profile"],
            "name": current_app.config.get("CERT_ISSUER_NAME", "工学一体化在线培训平台"),
            "url": url_for("main.index", _external=True) if "main.index" in current_app.view_functions
            else url_for("certification.issuer", _external=True)}


def credential(cert) -> dict:
    """The certificate as an Open Badges 3.0 OpenBadgeCredential (VC data model 2.0)."""
    verify_url = url_for("certification.verify", code=cert.code, _external=True)
    subject = {"type": ["AchievementSubject"], "name": cert.holder_name, "identifier": [holder_identity(cert)],
               "achievement": {"id": url_for("certification.issuer", _external=True) + f"#program-{cert.program_id}",
                               "type": ["Achievement"], "name": cert.program_title,
                               "description": f"{cert.level_name}（{cert.profession_name}）".strip(),
                               "criteria": {"narrative": cert.program_title}}}
    body = {"@context": ["https://www.w3.org/ns/credentials/v2",
                         "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": verify_url, "type": ["VerifiableCredential", "OpenBadgeCredential"], "name": cert.program_title,
            "issuer": issuer_profile(), "validFrom": _instant(clock.start_of_local_day(cert.issued_on)),
            "credentialSubject": subject}
    if cert.expires_on:
        body["validUntil"] = _instant(clock.end_of_local_day(cert.expires_on))
    return body


def holder_identity(cert) -> dict:
    """OB3 requires a subject ``id`` or an ``identifier``; teachers have no DID, so the holder is identified by
    their name, hashed with a salt given beside it: a verifier who knows the name can check it, a reader of the
    credential learns nothing more from it than the name already in it."""
    salt = hashlib.sha256(("salt:" + cert.code).encode()).hexdigest()[:16]
    digest = hashlib.sha256((cert.holder_name + salt).encode()).hexdigest()
    return {"type": "IdentityObject", "identityType": "name", "hashed": True, "salt": salt,
            "identityHash": f"sha256${digest}"}


def sign(payload: dict) -> str:
    """Compact JWS (EdDSA) of ``payload``."""
    jwk = public_jwk()
    header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": jwk["kid"]}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()))
    return signing_input + "." + b64url(signing_key().sign(signing_input.encode()))


def credential_jwt(cert) -> str:
    """The credential as a VC-JWT: its properties plus the registered claims an offline verifier checks
    (``nbf`` from validFrom, ``exp`` from validUntil when the certificate expires)."""
    body = credential(cert)
    claims = dict(body, iss=body["issuer"]["id"], jti=body["id"], sub=cert.code,
                  nbf=int(clock.start_of_local_day(cert.issued_on).timestamp()))
    if cert.expires_on:
        claims["exp"] = int(clock.end_of_local_day(cert.expires_on).timestamp())
    return sign(claims)


def _instant(moment) -> str:
    """An XML Schema dateTime with the zone's offset: the issue date is a local date, so its day starts at local
    midnight (2026-03-02T00:00:00+08:00), not at UTC midnight eight hours later."""
    return moment.isoformat(timespec="seconds")


def verify_jwt(token: str, jwk: dict) -> dict:
    """Check a VC-JWT with a JWK (what an offline verifier does); returns the payload or raises ValueError."""
    try:
        head, payload, signature = token.split(".")
        key = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
        key.verify(b64url_decode(signature), f"{head}.{payload}".encode())
    except Exception as exc:  # noqa: BLE001 — any failure means "not valid"
        raise ValueError("invalid signature") from exc
    return json.loads(b64url_decode(payload))
