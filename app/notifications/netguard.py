"""Outgoing URLs set by admins (webhooks) must not reach the server's own network: loopback, private,
link-local (cloud metadata at 169.254.169.254), reserved and multicast addresses are refused unless an admin
allowed them for that webhook."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask_babel import gettext as _


class UnsafeAddress(ValueError):
    pass


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
            or ip.is_unspecified)


def check_url(url: str, *, allow_private: bool = False) -> str:
    """Return ``url`` when it is an http(s) address whose host resolves only to public addresses (or
    ``allow_private``); raise :class:`UnsafeAddress` with a message for the admin otherwise."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress(_("请填写以 http:// 或 https:// 开头的完整地址。"))
    if allow_private:
        return url.strip()
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnsafeAddress(_("无法解析这个地址的主机名。")) from None
    if not infos or any(_is_internal(info[4][0]) for info in infos):
        raise UnsafeAddress(_("该地址指向本机或内网（回环、私有或链路本地地址），已拒绝。确需使用内网地址时，请勾选“允许内网地址”。"))
    return url.strip()
