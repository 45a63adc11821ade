"""1EdTech (IMS) QTI 3.0 and 2.1: single items and content packages (zip with ``imsmanifest.xml``).

Everything is read through defusedxml with DTDs forbidden (external entities and entity bombs are refused
before anything is expanded). QTI 3.0 names (``qti-choice-interaction``, ``response-identifier``) are mapped to
their 2.1 spelling (``choiceInteraction``, ``responseIdentifier``) first, so one reader serves both.

Interactions and our types:

* ``choiceInteraction`` → 单选 (max 1 choice) or 多选; ``mapping`` weights (``map_response``) become option
  fractions, scored as ``fractions``; without a mapping 多选 is all-or-nothing (``match_correct``).
* ``textEntryInteraction`` → 填空, one blank each (string; mapped alternatives accepted), or 数值 (a single
  float/integer entry).
* ``extendedTextInteraction`` → 简答; ``matchInteraction`` (one target per source) → 匹配;
  ``gapMatchInteraction`` → 填空 (each gap's correct word); ``inlineChoiceInteraction`` → 单选 (one) or 填空.
* Any other interaction (order, hotspot, hottext, associate, graphic ..., slider, upload, drawing, media,
  custom/portable) is refused by name ("不支持的 QTI 交互：orderInteraction") and the rest of the file imported.

A package's manifest is checked first: a path with ``..`` (or absolute, or a URL) and a listed file missing
from the zip refuse the whole package. Pictures (``<img src>``) inside a package are handed to the importer
and stored through the upload service.

Export (format ``qti3``): a QTI 3.0 content package, one ``qti-assessment-item`` per question with standard
interactions, correct responses, mappings and ``MAXSCORE``, plus one outcome ``GX_QUESTION`` whose default
value is the question as our interchange JSON, so a bank re-imports here without loss while other QTI 3.0
consumers read the standard parts.
"""
from __future__ import annotations

import html
import io
import json
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile

import defusedxml
from defusedxml.ElementTree import fromstring
from flask_babel import gettext as _

from app.errors import ValidationError
from app.questions import sanitize
from app.questions.formats import Format, ParseResult, answer, new_question, number_text, register
from app.questions.formats.archive import member_path, open_zip, read_member

_MARKERS = (b"imsqti", b"assessmentItem", b"qti-assessment-item", b"assessmentTest", b"qti-assessment-test",
            b"questestinterop", b"imsglobal.org/xsd/imscp", b"imsmanifest")
QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP3_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
EXTRA = "GX_QUESTION"

SUPPORTED = {"choiceInteraction", "textEntryInteraction", "extendedTextInteraction", "matchInteraction",
             "gapMatchInteraction", "inlineChoiceInteraction"}
#: Interactions of QTI 2.1/3.0 we have no question type for.
UNSUPPORTED = {"orderInteraction", "associateInteraction", "hotspotInteraction", "hottextInteraction",
               "graphicOrderInteraction", "graphicAssociateInteraction", "graphicGapMatchInteraction",
               "selectPointInteraction", "positionObjectInteraction", "sliderInteraction", "uploadInteraction",
               "drawingInteraction", "mediaInteraction", "customInteraction", "portableCustomInteraction",
               "endAttemptInteraction"}
#: Elements of the item body that are not shown as question text.
_SKIP = {"feedbackBlock", "feedbackInline", "modalFeedback", "rubricBlock", "templateBlock", "templateInline",
         "printedVariable", "simpleChoice", "gapText", "gapImg", "simpleMatchSet", "inlineChoice",
         "companionMaterialsInfo", "stylesheet"}
_BLANK = "____"


class ItemError(Exception):
    """One item cannot be imported (reported with its file, the rest goes on)."""


class Unsupported(ItemError):
    pass


# ------------------------------------------------------------------------------------------ reading XML

def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _normalise(root) -> None:
    """QTI 3.0 spelling to 2.1 spelling, namespaces dropped (in place)."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.rsplit("}", 1)[-1]
        if tag.startswith("qti-"):
            el.tag = _camel(tag[4:])
            el.attrib = {_camel(k.rsplit("}", 1)[-1]): v for k, v in el.attrib.items()}
        else:
            el.tag = tag


def parse_xml(data: bytes, what: str):
    try:
        root = fromstring(data, forbid_dtd=True)
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        raise ValidationError(_("%(what)s 中含有 DTD 或实体声明（可能是 XML 炸弹或外部实体攻击），已拒绝。",
                                what=what)) from None
    except ET.ParseError as exc:
        raise ValidationError(_("%(what)s 不是格式正确的 XML：%(msg)s", what=what, msg=str(exc)[:200])) from None
    _normalise(root)
    return root


def _text(el) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


class _Item:
    """One assessmentItem read into an interchange question."""

    def __init__(self, root, path: str, files: dict[str, bytes], archive=None):
        self.root = root
        self.path = path
        self.base = posixpath.dirname(path)
        self.files = files
        self.archive = archive
        self.declarations = {d.get("identifier"): d for d in root.iter("responseDeclaration")}

    # ------------------------------------------------------------------ HTML of the body

    def _attrs(self, el) -> str:
        parts = []
        for key, value in el.attrib.items():
            if el.tag == "img" and key == "src":
                value = self._picture(value)
                if not value:
                    continue
            parts.append(f' {key}="{html.escape(value)}"')
        return "".join(parts)

    def _picture(self, src: str) -> str:
        """``@@PLUGINFILE@@/path`` of a picture in the package (its bytes collected), "" when absent."""
        if self.archive is None:
            return ""
        path = member_path(self.base, src)
        if path is None or path not in self.archive.namelist():
            return ""
        if path not in self.files:
            self.files[path] = read_member(self.archive, path)
        return f"@@PLUGINFILE@@/{path}"

    def render(self, el, blank=None) -> str:
        """HTML of an element's content: interactions replaced by their prompt (or a blank)."""
        out = [html.escape(el.text or "", quote=False)]
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in ("textEntryInteraction", "gap"):
                out.append(_BLANK)
            elif tag == "inlineChoiceInteraction":
                out.append(blank or _BLANK)
            elif tag in ("choiceInteraction", "extendedTextInteraction", "matchInteraction"):
                prompt = child.find("prompt")
                if prompt is not None:
                    out.append(f"<p>{self.render(prompt)}</p>")
            elif tag == "gapMatchInteraction":
                out.append(self.render(child))
            elif tag == "prompt":
                out.append(f"<p>{self.render(child)}</p>")
            elif tag and tag not in _SKIP and tag not in UNSUPPORTED and tag != "math":
                inner = self.render(child, blank)
                out.append(f"<{tag}{self._attrs(child)}>{inner}</{tag}>" if tag not in ("br", "img", "hr")
                           else f"<{tag}{self._attrs(child)}>")
            elif tag == "math":
                out.append(html.escape(_text(child), quote=False))
            out.append(html.escape(child.tail or "", quote=False))
        return "".join(out)

    def rich(self, el) -> str:
        return sanitize.clean_html(self.render(el).strip())

    # ------------------------------------------------------------------ responses

    def _correct(self, identifier: str) -> list[str]:
        decl = self.declarations.get(identifier)
        node = decl.find("correctResponse") if decl is not None else None
        return [(_text(v)) for v in node.findall("value")] if node is not None else []

    def _mapping(self, identifier: str) -> dict[str, float]:
        decl = self.declarations.get(identifier)
        node = decl.find("mapping") if decl is not None else None
        if node is None:
            return {}
        out = {}
        for entry in node.findall("mapEntry"):
            try:
                out[entry.get("mapKey") or ""] = float(entry.get("mappedValue") or 0)
            except ValueError:
                raise ItemError(_("mappedValue 不是数字。")) from None
        return out

    def _case_sensitive(self, identifier: str) -> bool:
        decl = self.declarations.get(identifier)
        node = decl.find("mapping") if decl is not None else None
        return bool(node is not None and any((e.get("caseSensitive") or "").lower() == "true"
                                             for e in node.findall("mapEntry")))

    # ------------------------------------------------------------------ the item

    def read(self) -> dict:
        body = self.root.find("itemBody")
        if body is None:
            raise ItemError(_("缺少 itemBody。"))
        interactions = [el for el in body.iter() if isinstance(el.tag, str) and el.tag.endswith("Interaction")]
        for el in interactions:
            if el.tag not in SUPPORTED:
                raise Unsupported(_("不支持的 QTI 交互：%(name)s", name=el.tag))
        kinds = {el.tag for el in interactions}
        if len(kinds) > 1:
            raise Unsupported(_("不支持的 QTI 交互组合：%(names)s（一道题只能对应一种题型）",
                                names="、".join(sorted(kinds))))
        identifier = (self.root.get("identifier") or "").strip()
        q = new_question("description", "", name=(self.root.get("title") or "").strip()[:255],
                         id_number=identifier[:100] or None)
        points = self._max_score()
        if points is not None:
            q["points"] = points
        if not interactions:
            q["text"] = self.rich(body)
            q["points"] = 0
            return q
        kind = interactions[0].tag
        reader = getattr(self, "_" + kind)
        reader(q, body, interactions)
        return q

    def _max_score(self):
        for decl in self.root.iter("outcomeDeclaration"):
            if decl.get("identifier") == "MAXSCORE":
                value = decl.find("defaultValue/value")
                try:
                    return float(_text(value)) if value is not None else None
                except ValueError:
                    return None
        return None

    def _choiceInteraction(self, q, body, interactions):
        if len(interactions) > 1:
            raise Unsupported(_("不支持的 QTI 交互组合：一道题中有多个 choiceInteraction。"))
        el = interactions[0]
        rid = el.get("responseIdentifier") or "RESPONSE"
        choices = [c for c in el.iter("simpleChoice")]
        if len(choices) < 2:
            raise ItemError(_("选择题至少需要两个选项。"))
        decl = self.declarations.get(rid)
        multiple = (el.get("maxChoices") or "1") != "1" or (decl is not None
                                                             and decl.get("cardinality") == "multiple")
        correct = set(self._correct(rid))
        mapping = self._mapping(rid)
        ids = [c.get("identifier") for c in choices]
        if mapping and any(v != 0 for v in mapping.values()):
            positive = sum(v for k, v in mapping.items() if v > 0 and k in ids) if multiple \
                else max([v for k, v in mapping.items() if k in ids] + [0])
            if positive <= 0:
                raise ItemError(_("没有得分为正的选项。"))
            fractions = [max(-1.0, min(1.0, mapping.get(i, 0.0) / positive)) for i in ids]
            if multiple:
                q["scoring"] = "fractions"
        else:
            if not correct & set(ids):
                raise ItemError(_("缺少正确答案（correctResponse）。"))
            share = 1.0 / len(correct & set(ids)) if multiple else 1.0
            fractions = [share if i in correct else 0.0 for i in ids]
            if multiple:
                q["scoring"] = "all_or_nothing"
        if not multiple and sum(1 for f in fractions if f >= 1.0) == 0 and max(fractions) <= 0:
            raise ItemError(_("缺少正确答案（correctResponse）。"))
        q["type"] = "multiple_choice" if multiple else "single_choice"
        q["text"] = self.rich(body)
        q["answers"] = [answer(self.rich(c), round(f, 7)) for c, f in zip(choices, fractions)]
        q["shuffle"] = (el.get("shuffle") or "false").lower() == "true"

    def _textEntryInteraction(self, q, body, interactions):
        decls = [self.declarations.get(el.get("responseIdentifier") or "") for el in interactions]
        numeric = [d is not None and d.get("baseType") in ("float", "integer") for d in decls]
        q["text"] = self.rich(body)
        if all(numeric) and len(interactions) == 1:
            rid = interactions[0].get("responseIdentifier") or ""
            values = self._correct(rid) or [k for k, v in self._mapping(rid).items() if v > 0]
            try:
                value = float(values[0])
            except (IndexError, ValueError):
                raise ItemError(_("数值题缺少正确答案。")) from None
            q["type"] = "numerical"
            q["answers"] = [answer(number_text(value), 1.0, tolerance=0.0)]
            return
        q["type"] = "fill_blank"
        for number, el in enumerate(interactions, start=1):
            rid = el.get("responseIdentifier") or ""
            mapping = self._mapping(rid)
            best = max([v for v in mapping.values()] + [0])
            accepted: dict[str, float] = {}
            for value in self._correct(rid):
                accepted[value] = 1.0
            for key, value in mapping.items():
                if value > 0 and key not in accepted:
                    accepted[key] = round(value / best, 7) if best else 1.0
            if not accepted:
                raise ItemError(_("第 %(n)s 个填空缺少正确答案。", n=number))
            for text, fraction in accepted.items():
                q["answers"].append(answer(text, fraction, blank=number))
            if self._case_sensitive(rid):
                q["case_sensitive"] = True

    def _extendedTextInteraction(self, q, body, interactions):
        q["type"] = "essay"
        q["text"] = self.rich(body)
        rid = interactions[0].get("responseIdentifier") or ""
        reference = self._correct(rid)
        if reference:
            q["grader_info"] = sanitize.plain_to_html("\n".join(reference))

    def _matchInteraction(self, q, body, interactions):
        if len(interactions) > 1:
            raise Unsupported(_("不支持的 QTI 交互组合：一道题中有多个 matchInteraction。"))
        el = interactions[0]
        sets = el.findall("simpleMatchSet")
        if len(sets) != 2:
            raise ItemError(_("matchInteraction 应有两组选项。"))
        sources = [(c.get("identifier"), self.rich(c)) for c in sets[0].findall("simpleAssociableChoice")]
        targets = {c.get("identifier"): _text(c) for c in sets[1].findall("simpleAssociableChoice")}
        rid = el.get("responseIdentifier") or ""
        pairs = [v.split() for v in self._correct(rid) or [k for k, v in self._mapping(rid).items() if v > 0]]
        matched: dict[str, str] = {}
        for pair in pairs:
            if len(pair) != 2:
                continue
            source, target = pair
            if source not in dict(sources):
                source, target = target, source
            if source in matched and matched[source] != target:
                raise Unsupported(_("不支持的 QTI 交互：%(name)s（一项对应多项）", name="matchInteraction"))
            matched[source] = target
        q["type"] = "matching"
        q["text"] = self.rich(body)
        for identifier, prompt in sources:
            if identifier in matched and matched[identifier] in targets:
                q["pairs"].append({"prompt": prompt, "answer": targets[matched[identifier]]})
        used = set(matched.values())
        q["pairs"] += [{"prompt": "", "answer": text} for key, text in targets.items() if key not in used]
        q["shuffle"] = (el.get("shuffle") or "false").lower() == "true"

    def _gapMatchInteraction(self, q, body, interactions):
        if len(interactions) > 1:
            raise Unsupported(_("不支持的 QTI 交互组合：一道题中有多个 gapMatchInteraction。"))
        el = interactions[0]
        words = {g.get("identifier"): _text(g) for g in el.findall("gapText")}
        gaps = [g.get("identifier") for g in el.iter("gap")]
        rid = el.get("responseIdentifier") or ""
        filled: dict[str, str] = {}
        for value in self._correct(rid) or [k for k, v in self._mapping(rid).items() if v > 0]:
            parts = value.split()
            if len(parts) == 2:
                word, gap = parts if parts[0] in words else parts[::-1]
                filled.setdefault(gap, words.get(word, ""))
        q["type"] = "fill_blank"
        q["text"] = self.rich(body)
        for number, gap in enumerate(gaps, start=1):
            if not filled.get(gap):
                raise ItemError(_("第 %(n)s 个空缺少正确答案。", n=number))
            q["answers"].append(answer(filled[gap], 1.0, blank=number))

    def _inlineChoiceInteraction(self, q, body, interactions):
        if len(interactions) == 1:
            el = interactions[0]
            rid = el.get("responseIdentifier") or ""
            correct = set(self._correct(rid)) or {k for k, v in self._mapping(rid).items() if v > 0}
            choices = el.findall("inlineChoice")
            if not correct & {c.get("identifier") for c in choices}:
                raise ItemError(_("缺少正确答案（correctResponse）。"))
            q["type"] = "single_choice"
            q["text"] = sanitize.clean_html(self.render(body, blank="（ ）").strip())
            q["answers"] = [answer(html.escape(_text(c), quote=False), 1.0 if c.get("identifier") in correct
                                   else 0.0) for c in choices]
            q["shuffle"] = (el.get("shuffle") or "false").lower() == "true"
            return
        q["type"] = "fill_blank"
        q["text"] = self.rich(body)
        for number, el in enumerate(interactions, start=1):
            rid = el.get("responseIdentifier") or ""
            texts = {c.get("identifier"): _text(c) for c in el.findall("inlineChoice")}
            right = [texts[c] for c in self._correct(rid) if c in texts]
            if not right:
                raise ItemError(_("第 %(n)s 个空缺少正确答案。", n=number))
            q["answers"].append(answer(right[0], 1.0, blank=number))


# ------------------------------------------------------------------------------------------ import

_PLUGINFILE = re.compile(r"@@PLUGINFILE@@/([^\"'<>\s)]+)")


def _plugin_names(value) -> set[str]:
    """Every ``@@PLUGINFILE@@/name`` inside the strings of a question."""
    if isinstance(value, str):
        return set(_PLUGINFILE.findall(value))
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_plugin_names(v) for v in value)) if value else set()
    return set()


def _extra(root) -> dict | None:
    """Our own copy of the question (written by our export), when the item carries one."""
    for decl in root.iter("outcomeDeclaration"):
        if decl.get("identifier") == EXTRA:
            value = decl.find("defaultValue/value")
            try:
                data = json.loads(_text(value))
            except ValueError:
                return None
            return data if isinstance(data, dict) and isinstance(data.get("type"), str) else None
    return None


def _read_item(root, path: str, result: ParseResult, number: int, archive=None) -> None:
    where = path or (root.get("identifier") or "")
    files: dict[str, bytes] = {}
    extra = _extra(root)
    try:
        if extra is not None:
            q = new_question(extra["type"], "")
            q.update({k: v for k, v in extra.items() if not k.startswith("_")})
            for name in _plugin_names(extra):
                if archive is not None and name in archive.namelist():
                    files[name] = read_member(archive, name)
        else:
            q = _Item(root, path, files, archive).read()
    except Unsupported as exc:
        result.warnings.append(_("%(where)s：%(message)s，这道题没有导入。", where=where,
                                 message=str(exc).rstrip("。")))
        return
    except ItemError as exc:
        result.errors.append({"line": number, "message": _("%(where)s：%(message)s", where=where, message=str(exc))})
        return
    q["_line"] = number
    result.files.update(files)
    result.questions.append(q)


def _parse_package(data: bytes, result: ParseResult) -> None:
    archive = open_zip(data, "QTI")
    names = set(archive.namelist())
    if "imsmanifest.xml" not in names:
        raise ValidationError(_("压缩包中没有 imsmanifest.xml，不是 QTI 内容包。"))
    manifest = parse_xml(read_member(archive, "imsmanifest.xml"), "imsmanifest.xml")
    items = []
    for resource in manifest.iter("resource"):
        hrefs = [resource.get("href")] if resource.get("href") else []
        hrefs += [f.get("href") for f in resource.findall("file") if f.get("href")]
        base = resource.get("base") or ""
        for href in hrefs:
            path = member_path(base, href)
            if path is None:
                raise ValidationError(_("清单 imsmanifest.xml 中的路径“%(href)s”不安全（含“..”、绝对路径或网址），"
                                        "已拒绝整个内容包。", href=href[:200]))
            if path not in names:
                raise ValidationError(_("清单 imsmanifest.xml 列出的文件“%(href)s”不在压缩包中，已拒绝整个内容包。",
                                        href=href[:200]))
        kind = (resource.get("type") or "").lower()
        if "imsqti_item" in kind and resource.get("href"):
            items.append(member_path(base, resource.get("href")))
    if not items:
        raise ValidationError(_("内容包中没有 QTI 题目（imsqti_item 资源）。"))
    for number, path in enumerate(items, start=1):
        root = parse_xml(read_member(archive, path), path)
        if root.tag != "assessmentItem":
            result.errors.append({"line": number, "message": _("%(where)s 不是 QTI 题目（assessmentItem）。",
                                                               where=path)})
            continue
        _read_item(root, path, result, number, archive)


@register
class Qti(Format):
    name = "qti"
    label = "QTI 2.1 / 3.0"
    extensions = (".xml", ".zip")

    def sniff(self, filename: str, data: bytes) -> int:
        head = data[:8192]
        if data[:4] == b"PK\x03\x04":
            return 9 if b"imsmanifest.xml" in data[-65536:] or b"imsmanifest.xml" in head else 0
        return 10 if any(m in head for m in _MARKERS) else 0

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        result = ParseResult(format=self.name)
        if data[:4] == b"PK\x03\x04":
            _parse_package(data, result)
        else:
            root = parse_xml(data, filename or "XML")
            if root.tag == "assessmentItem":
                _read_item(root, "", result, 1)
            elif root.tag in ("assessmentTest", "manifest"):
                raise ValidationError(_("这是 QTI 测验或内容包清单，引用的题目文件不在其中。请上传整个内容包（含 "
                                        "imsmanifest.xml 的 .zip）。"))
            elif root.tag == "questestinterop":
                raise ValidationError(_("这是旧版 QTI 1.2 文件，暂不支持。请导出为 QTI 2.1 或 3.0、Moodle XML 或 "
                                        "Excel 后再导入。"))
            else:
                raise ValidationError(_("不是 QTI 题目文件（根元素为 %(tag)s）。", tag=root.tag[:60]))
        if not result.questions and not result.errors and result.warnings:
            result.errors = [{"line": 1, "message": w} for w in result.warnings]
            result.warnings = []
        return result


# ------------------------------------------------------------------------------------------ export

_FILE_URL = re.compile(r"/questions/files/(\d+)")


def _xhtml(fragment: str) -> str:
    """Sanitised HTML as well-formed XHTML (for the item body; elements take the QTI namespace)."""
    import lxml.html
    from lxml import etree

    fragment = (fragment or "").strip()
    if not fragment:
        return ""
    try:
        nodes = lxml.html.fragments_fromstring(fragment)
    except (etree.ParserError, ValueError):
        return html.escape(sanitize.html_to_text(fragment), quote=False)
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(html.escape(node, quote=False))
        else:
            for el in node.iter():
                if isinstance(el.tag, str):
                    for key in list(el.attrib):
                        if not re.fullmatch(r"[A-Za-z_][\w.-]*", key):
                            del el.attrib[key]
            out.append(etree.tostring(node, method="xml", encoding="unicode"))
    return "".join(out)


def _q(value) -> str:
    return html.escape(str(value), quote=True)


class _Package:
    def __init__(self):
        self.images: dict[int, tuple[str, bytes]] = {}

    def picture(self, file_id: int) -> str | None:
        """Package path of a stored question picture (collected once), None when it is gone."""
        if file_id in self.images:
            return self.images[file_id][0]
        from app.core.storage import get_storage
        from app.extensions import db
        from app.questions.models import QuestionFile

        record = db.session.get(QuestionFile, file_id)
        if record is None:
            return None
        try:
            with get_storage().open(record.storage_key) as fh:
                content = fh.read()
        except (OSError, KeyError, FileNotFoundError):
            return None
        ext = (record.content_type or "").split("/")[-1].replace("jpeg", "jpg").replace("mpeg", "mp3") or "bin"
        path = f"media/file{file_id}.{ext}"
        self.images[file_id] = (path, content)
        return path


def _relink(value, package: _Package, prefix: str):
    """Our file URLs (``/questions/files/17``) as package paths (``prefix`` + ``media/file17.png``)."""
    if isinstance(value, str):
        def swap(match):
            path = package.picture(int(match.group(1)))
            return prefix + path if path else match.group(0)
        return _FILE_URL.sub(swap, value)
    if isinstance(value, list):
        return [_relink(v, package, prefix) for v in value]
    if isinstance(value, dict):
        return {k: _relink(v, package, prefix) for k, v in value.items()}
    return value


def _values(values) -> str:
    return "".join(f"<qti-value>{_q(v)}</qti-value>" for v in values)


def _declaration(identifier, cardinality, base_type, correct=(), mapping=None, case_sensitive=False) -> str:
    out = [f'<qti-response-declaration identifier="{identifier}" cardinality="{cardinality}" '
           f'base-type="{base_type}">']
    if correct:
        out.append(f"<qti-correct-response>{_values(correct)}</qti-correct-response>")
    if mapping:
        out.append('<qti-mapping default-value="0">')
        for key, value in mapping.items():
            extra = f' case-sensitive="{"true" if case_sensitive else "false"}"' if base_type == "string" else ""
            out.append(f'<qti-map-entry map-key="{_q(key)}" mapped-value="{number_text(value)}"{extra}/>')
        out.append("</qti-mapping>")
    out.append("</qti-response-declaration>")
    return "".join(out)


def item_xml(q: dict, identifier: str, package: _Package) -> tuple[str, list[str]]:
    """One question as a QTI 3.0 item (XML text) and the package paths of the pictures it uses."""
    body_q = _relink(q, package, "../")
    extra_q = _relink({k: v for k, v in q.items() if not k.startswith("_")}, package, "@@PLUGINFILE@@/")
    used = sorted(_plugin_names(extra_q))
    declarations, body, template = [], [f"<div>{_xhtml(body_q['text'])}</div>"], "match_correct"
    qtype = q["type"]
    answers = body_q.get("answers") or []
    if qtype in ("single_choice", "multiple_choice", "true_false"):
        if qtype == "true_false":
            answers = [{"text": "对" if str(a["text"]).lower() in ("true", "对") else "错",
                        "fraction": a["fraction"]} for a in answers]
        ids = [f"C{i + 1}" for i in range(len(answers))]
        fractions = [float(a.get("fraction") or 0) for a in answers]
        correct = [i for i, f in zip(ids, fractions) if f > 0]
        multiple = qtype == "multiple_choice"
        weighted = any(f not in (0.0, 1.0) for f in fractions) and (not multiple or q.get("scoring") != "all_or_nothing")
        mapping = {i: f for i, f in zip(ids, fractions) if f} if weighted else None
        if weighted:
            template = "map_response"
        declarations.append(_declaration("RESPONSE", "multiple" if multiple else "single", "identifier",
                                         correct, mapping))
        choices = "".join(f'<qti-simple-choice identifier="{i}">{_xhtml(a["text"])}</qti-simple-choice>'
                          for i, a in zip(ids, answers))
        shuffle = "true" if q.get("shuffle", True) and qtype != "true_false" else "false"
        body.append(f'<qti-choice-interaction response-identifier="RESPONSE" shuffle="{shuffle}" '
                    f'max-choices="{0 if multiple else 1}">{choices}</qti-choice-interaction>')
    elif qtype == "fill_blank":
        blanks: dict[int, list] = {}
        for a in answers:
            blanks.setdefault(int(a.get("blank") or 1), []).append(a)
        entries = []
        for n in sorted(blanks):
            rid = f"RESPONSE_{n}"
            accepted = blanks[n]
            best = max(accepted, key=lambda a: float(a.get("fraction") or 0))
            mapping = {a["text"]: float(a.get("fraction") or 0) for a in accepted}
            declarations.append(_declaration(rid, "single", "string", [best["text"]], mapping,
                                             bool(q.get("case_sensitive"))))
            entries.append(f'<qti-text-entry-interaction response-identifier="{rid}"/>')
        template = "map_response" if len(blanks) == 1 else ""
        body.append("<p>" + " ".join(entries) + "</p>")
    elif qtype == "numerical":
        best = max(answers, key=lambda a: float(a.get("fraction") or 0)) if answers else {"text": "0"}
        declarations.append(_declaration("RESPONSE", "single", "float", [best["text"]]))
        body.append('<p><qti-text-entry-interaction response-identifier="RESPONSE"/></p>')
    elif qtype == "essay":
        declarations.append(_declaration("RESPONSE", "single", "string"))
        body.append('<qti-extended-text-interaction response-identifier="RESPONSE"/>')
        template = ""
    elif qtype == "matching":
        pairs = [p for p in body_q.get("pairs") or [] if p.get("prompt")]
        targets: list[str] = []
        for p in body_q.get("pairs") or []:
            if p.get("answer") and p["answer"] not in targets:
                targets.append(p["answer"])
        correct = [f"S{i + 1} T{targets.index(p['answer']) + 1}" for i, p in enumerate(pairs)]
        declarations.append(_declaration("RESPONSE", "multiple", "directedPair", correct))
        sources = "".join(f'<qti-simple-associable-choice identifier="S{i + 1}" match-max="1">{_xhtml(p["prompt"])}'
                          f"</qti-simple-associable-choice>" for i, p in enumerate(pairs))
        target_xml = "".join(f'<qti-simple-associable-choice identifier="T{i + 1}" match-max="{len(pairs)}">'
                             f"{_q(t)}</qti-simple-associable-choice>" for i, t in enumerate(targets))
        body.append(f'<qti-match-interaction response-identifier="RESPONSE" shuffle="false" '
                    f'max-associations="{len(pairs)}"><qti-simple-match-set>{sources}</qti-simple-match-set>'
                    f"<qti-simple-match-set>{target_xml}</qti-simple-match-set></qti-match-interaction>")
    else:
        template = ""
    points = q.get("points")
    outcomes = ['<qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>']
    if points is not None:
        outcomes.append('<qti-outcome-declaration identifier="MAXSCORE" cardinality="single" base-type="float">'
                        f"<qti-default-value><qti-value>{number_text(float(points))}</qti-value>"
                        "</qti-default-value></qti-outcome-declaration>")
    outcomes.append(f'<qti-outcome-declaration identifier="{EXTRA}" cardinality="single" base-type="string">'
                    f"<qti-default-value><qti-value>{_q(json.dumps(extra_q, ensure_ascii=False))}</qti-value>"
                    "</qti-default-value></qti-outcome-declaration>")
    processing = (f'<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/'
                  f'{template}.xml"/>' if template else "")
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<qti-assessment-item xmlns="{QTI3_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           f'xsi:schemaLocation="{QTI3_NS} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd" '
           f'identifier="{identifier}" title="{_q(q.get("name") or identifier)}" adaptive="false" '
           f'time-dependent="false" xml:lang="zh-CN">'
           + "".join(declarations) + "".join(outcomes)
           + "<qti-item-body>" + "".join(body) + "</qti-item-body>" + processing + "</qti-assessment-item>\n")
    return xml, used


def export_package(questions: list[dict], bank_name: str = "") -> bytes:
    package = _Package()
    out = io.BytesIO()
    resources = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for number, q in enumerate(questions, start=1):
            identifier = f"gx-item-{number:05d}"
            xml, used = item_xml(q, identifier, package)
            href = f"items/{identifier}.xml"
            zf.writestr(href, xml)
            files = "".join(f'<file href="{_q(path)}"/>' for path in used)
            deps = "".join(f'<dependency identifierref="{_media_id(path)}"/>' for path in used)
            resources.append(f'<resource identifier="{identifier}" type="imsqti_item_xmlv3p0" href="{href}">'
                             f'<file href="{href}"/>{files}{deps}</resource>')
        for path, content in sorted(package.images.values()):
            zf.writestr(path, content)
            resources.append(f'<resource identifier="{_media_id(path)}" type="webcontent" href="{_q(path)}">'
                             f'<file href="{_q(path)}"/></resource>')
        manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                    f'<manifest xmlns="{CP3_NS}" xmlns:imsmd="http://ltsc.ieee.org/xsd/LOM" '
                    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="gx-manifest" '
                    f'xsi:schemaLocation="{CP3_NS} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/'
                    'imsqtiv3p0_imscpv1p2_v1p0.xsd">'
                    '<metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion>'
                    f'<imsmd:lom><imsmd:general><imsmd:title><imsmd:string language="zh-CN">{_q(bank_name)}'
                    '</imsmd:string></imsmd:title></imsmd:general></imsmd:lom></metadata>'
                    '<organizations/><resources>' + "".join(resources) + "</resources></manifest>\n")
        zf.writestr("imsmanifest.xml", manifest)
    return out.getvalue()


def _media_id(path: str) -> str:
    return "gx-" + re.sub(r"[^A-Za-z0-9_.-]", "-", path)


@register
class Qti3Export(Format):
    name = "qti3"
    label = "QTI 3.0 (.zip)"
    extensions = (".zip",)
    can_import = False
    can_export = True
    mimetype = "application/zip"

    def export(self, questions: list[dict], *, bank_name: str = "") -> bytes:
        return export_package(questions, bank_name)
