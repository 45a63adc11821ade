"""Word (.docx) question banks in the layout Chinese schools keep them (and 学习通/智慧职教 templates use).

    一、单选题（每题 2 分）
    1. 题干……（ ）
    A. 选项  B. 选项  C. 选项  D. 选项        (one line, or one option a paragraph; ``A、`` ``A．`` too)
    答案：B      (or 【答案】B)
    解析：……     (or 【解析】……)
    难度：中      知识点：液压/液压泵      分值：2      标签：期末

Section headings (一、单选题 / 二、多选题 / 三、判断题 / 四、填空题 / 五、简答题, any type word the Excel
importer knows) set the type of the numbered questions under them; without headings the type is inferred
(options → choice, 对/错 → 判断, blanks ``____`` or ``（ ）`` → 填空, else 简答). Blanks of 填空 answers are
separated by ``；``, alternatives of one blank by ``|``. Pictures inside stems and options are kept: they are
handed to the importer as embedded files and stored through the upload service like every upload.

The file is checked as a zip (entry count, sizes, compression ratio) before python-docx opens it; a renamed
.doc is refused with the way to convert it. Word tables and automatic numbering (whose numbers are not in the
text) break the layout: each is reported with its paragraph number and text, and nothing is imported.
Paragraphs are numbered from 1 in document order (a table counts as one), as ``line`` in error locations.
Text before the first numbered question of a section (the document's title, a section's instructions) is
not part of any question and is skipped.
"""
from __future__ import annotations

import html
import io
import posixpath
import re
import unicodedata

from flask_babel import gettext as _

from app.errors import ValidationError
from app.questions.formats import Format, ParseResult, answer, new_question, register
from app.questions.formats.archive import open_zip, read_member
from app.questions.formats.xlsx import (_TYPE_LOOKUP, READERS, RowError, _difficulty, _letters, _points,
                                        _true_false)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W_P, W_TBL, W_SDT = f"{{{_W}}}p", f"{{{_W}}}tbl", f"{{{_W}}}sdt"
W_T, W_TAB, W_BR, W_CR = f"{{{_W}}}t", f"{{{_W}}}tab", f"{{{_W}}}br", f"{{{_W}}}cr"
W_PPR, W_NUMPR, W_NUMID, W_PSTYLE = f"{{{_W}}}pPr", f"{{{_W}}}numPr", f"{{{_W}}}numId", f"{{{_W}}}pStyle"
W_VAL = f"{{{_W}}}val"
A_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
V_IMAGEDATA = "{urn:schemas-microsoft-com:vml}imagedata"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
R_EMBED, R_ID = f"{{{_R}}}embed", f"{{{_R}}}id"

#: A picture inside text while the layout is read (private-use characters never typed by people).
_IMG_OPEN, _IMG_CLOSE = "\ue000", "\ue001"
_IMG = re.compile(f"{_IMG_OPEN}(\\d+){_IMG_CLOSE}")

_SECTION = re.compile(r"^[一二三四五六七八九十]{1,3}\s*[、.．]\s*(\S.*)$")
_SECTION_POINTS = re.compile(r"每(?:小)?题\s*(\d+(?:\.\d+)?)\s*分")
_STEM = re.compile(r"^(\d{1,5})\s*(?:[、．]|\.(?!\d))\s*(.*)$", re.S)
_OPTION_AT = re.compile(r"(?:^|(?<=[\s\u3000]))([A-H])\s*[.、．]\s*")
_FIELD_NAMES = {"答案": "answer", "参考答案": "answer", "正确答案": "answer", "标准答案": "answer",
                "解析": "explanation", "答案解析": "explanation", "试题解析": "explanation",
                "难度": "difficulty", "难易度": "difficulty", "知识点": "category", "考点": "category",
                "分值": "points", "分数": "points", "标签": "tags", "题号": "id_number"}
_FIELD_WORDS = "|".join(sorted(_FIELD_NAMES, key=len, reverse=True))
_FIELD = re.compile(rf"^(?:【\s*({_FIELD_WORDS})\s*】\s*[:：]?|({_FIELD_WORDS})\s*[:：])\s*(.*)$", re.S)
_BLANK = re.compile(r"_{3,}|[（(][\s\u3000]*[)）]")
_CHOICE_TYPES = ("single_choice", "multiple_choice")


class _LayoutError(Exception):
    pass


def _short(text: str, limit: int = 30) -> str:
    text = _IMG.sub(_("[图片]"), text).replace("\n", " ").strip()
    return text if len(text) <= limit else text[:limit] + "…"


class _Reader:
    """Reads the body of one document into questions (state machine over paragraphs and their lines)."""

    def __init__(self, document, result: ParseResult):
        self.document = document
        self.result = result
        self.images: list[str] = []
        self.image_names: dict[str, str] = {}
        self.section_type: str | None = None
        self.section_points: float | None = None
        self.question: dict | None = None
        self.numbered_styles = self._numbered_styles()

    # ------------------------------------------------------------------ reading Word's XML

    def _numbered_styles(self) -> set[str]:
        """Paragraph styles that carry automatic numbering (a list style applied to options or stems)."""
        styles = set()
        try:
            root = self.document.styles.element
        except (AttributeError, KeyError, ValueError):
            return styles
        for style in root.iterchildren(f"{{{_W}}}style"):
            num = style.find(f"{W_PPR}/{W_NUMPR}/{W_NUMID}")
            if num is not None and num.get(W_VAL) not in (None, "0"):
                styles.add(style.get(f"{{{_W}}}styleId"))
        return styles

    def _is_numbered(self, p) -> bool:
        ppr = p.find(W_PPR)
        if ppr is None:
            return False
        num = ppr.find(f"{W_NUMPR}/{W_NUMID}")
        if num is not None:
            return num.get(W_VAL) != "0"
        style = ppr.find(W_PSTYLE)
        return style is not None and style.get(W_VAL) in self.numbered_styles

    def _image(self, rid: str | None) -> str:
        part = self.document.part.related_parts.get(rid) if rid else None
        blob = getattr(part, "blob", None)
        if not blob:
            return ""
        name = self.image_names.get(str(part.partname))
        if name is None:
            name = posixpath.basename(str(part.partname)) or f"image{len(self.image_names) + 1}"
            self.image_names[str(part.partname)] = name
            self.result.files[name] = blob
        self.images.append(name)
        return f"{_IMG_OPEN}{len(self.images) - 1}{_IMG_CLOSE}"

    def _text(self, p) -> str:
        """The paragraph's text; pictures as tokens, soft line breaks as newlines."""
        parts: list[str] = []
        skip = None
        for el in p.iter(W_T, W_TAB, W_BR, W_CR, A_BLIP, V_IMAGEDATA, MC_FALLBACK):
            tag = el.tag
            if tag == MC_FALLBACK:
                skip = set(el.iter())  # the old-Word copy of what mc:Choice already holds
                continue
            if skip is not None and el in skip:
                continue
            if tag == W_T:
                parts.append(el.text or "")
            elif tag == W_TAB:
                parts.append(" ")
            elif tag in (W_BR, W_CR):
                parts.append("\n")
            elif tag == A_BLIP:
                parts.append(self._image(el.get(R_EMBED)))
            else:
                parts.append(self._image(el.get(R_ID)))
        return "".join(parts).replace("\u3000", " ")

    def blocks(self):
        """(paragraph number, kind, text) in document order; kind is "p", "numbered" or "table"."""
        number = 0
        body = self.document.element.body
        stack = list(reversed(list(body.iterchildren())))
        while stack:
            el = stack.pop()
            if el.tag == W_SDT:
                content = el.find(f"{{{_W}}}sdtContent")
                if content is not None:
                    stack.extend(reversed(list(content.iterchildren())))
                continue
            if el.tag == W_TBL:
                number += 1
                yield number, "table", " ".join(t.text or "" for t in el.iter(W_T))
            elif el.tag == W_P:
                number += 1
                text = self._text(el)
                yield number, ("numbered" if text.strip() and self._is_numbered(el) else "p"), text

    # ------------------------------------------------------------------ layout

    def error(self, number: int, text: str, message: str) -> None:
        self.result.errors.append({"line": number, "message": _("第 %(n)s 段“%(text)s”：%(message)s", n=number,
                                                                text=_short(text), message=message)})

    def read(self) -> None:
        for number, kind, text in self.blocks():
            if kind == "table":
                self.error(number, text, _("这里是一个 Word 表格。试题不能放在表格里：请把表格转换为文字"
                                           "（表格工具 → 转换为文本），或把表格截图作为图片插入题干。"))
                self._break()
                continue
            if kind == "numbered":
                heading = self._section_type(text.strip())
                if heading is not None:
                    self._start_section(number, text.strip())
                    continue
                self.error(number, text, _("这一段使用了 Word 自动编号，题号或选项字母不在文字里。请取消自动编号，"
                                           "手动输入“1.”“A.”等编号后再导入。"))
                self._break()
                continue
            for line in text.split("\n"):
                self.line(number, line.strip())
        self._finish()

    def _break(self) -> None:
        """A broken layout: the question being read is dropped (its error is already reported)."""
        if self.question is not None:
            self.question["broken"] = True

    @staticmethod
    def _section_type(text: str) -> str | None:
        match = _SECTION.match(text)
        title = match.group(1) if match else text
        word = re.split(r"[（(:：\s]", unicodedata.normalize("NFKC", title).strip(), maxsplit=1)[0].strip()
        return _TYPE_LOOKUP.get(word.lower()) if word else None

    def _start_section(self, number: int, text: str) -> None:
        self._finish()
        self.section_type = self._section_type(text)
        points = _SECTION_POINTS.search(unicodedata.normalize("NFKC", text))
        self.section_points = float(points.group(1)) if points else None

    def line(self, number: int, text: str) -> None:
        if not text:
            return
        section = _SECTION.match(text)
        if section and _IMG_OPEN not in text:
            if self._section_type(text) is None:
                self._finish()
                self.section_type, self.section_points = None, None
                self.error(number, text, _("无法识别大题的题型。可用：单选题、多选题、判断题、填空题、简答题"
                                           "（以及数值题、匹配题）。"))
                return
            self._start_section(number, text)
            return
        q = self.question
        stem = _STEM.match(text)
        if stem and (q is None or q["last"] not in ("answer", "explanation")
                     or int(stem.group(1)) == q["number"] + 1):
            self._finish()
            self.question = {"number": int(stem.group(1)), "line": number, "raw": text, "stem": [stem.group(2)],
                             "options": [], "fields": {}, "last": "stem", "broken": False,
                             "type": self.section_type, "points": self.section_points}
            return
        if q is None:
            # The document's title and notes before the first question (or under a section heading).
            return
        field = _FIELD.match(text)
        if field:
            key = _FIELD_NAMES[field.group(1) or field.group(2)]
            q["fields"][key] = [field.group(3).strip()]
            q["fields"].setdefault("_lines", {})[key] = number
            q["last"] = key
            return
        if _OPTION_AT.match(text) and q["last"] in ("stem", "option"):
            for option in self._split_options(text):
                q["options"].append(option)
            q["last"] = "option"
            return
        if q["last"] == "stem":
            q["stem"].append(text)
        elif q["last"] == "option":
            q["options"][-1] += "\n" + text
        elif q["last"] in ("answer", "explanation"):
            q["fields"][q["last"]].append(text)
        else:
            self.error(number, text, _("无法识别这一段：答案、解析等应写成“答案：……”，选项应以“A.”开头。"))
            q["broken"] = True

    @staticmethod
    def _split_options(text: str) -> list[str]:
        """``A.xx B.xx C.xx`` -> the option texts; a letter counts only in order (A, B, C ...)."""
        starts = []
        expected = None
        for match in _OPTION_AT.finditer(text):
            letter = match.group(1)
            if expected is None or letter == expected:
                starts.append(match)
                expected = chr(ord(letter) + 1)
        options = []
        for i, match in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            options.append(text[match.end():end].strip())
        return options

    # ------------------------------------------------------------------ one question

    def html(self, text: str) -> str:
        """Text with picture tokens as escaped HTML with ``<img>`` pointing at the embedded files."""
        out = html.escape(text.strip(), quote=False).replace("\n", "<br>")
        return _IMG.sub(lambda m: f'<img src="@@PLUGINFILE@@/{self.images[int(m.group(1))]}" alt="">', out)

    def plain(self, text: str) -> str:
        return _IMG.sub("", text).strip()

    def _finish(self) -> None:
        q, self.question = self.question, None
        if q is None or q["broken"]:
            return
        try:
            self.result.questions.append(self._build(q))
        except (RowError, ValidationError) as exc:
            self.error(q["line"], q["raw"], str(exc))

    def _build(self, q: dict) -> dict:
        fields = {k: "\n".join(v) for k, v in q["fields"].items() if k != "_lines"}
        stem = "\n".join(q["stem"])
        if not self.plain(stem) and _IMG_OPEN not in stem:
            raise RowError(_("题干为空。"))
        answer_text = fields.get("answer", "")
        answer_plain = unicodedata.normalize("NFKC", self.plain(answer_text)).strip()
        type_name = q["type"] or self._infer(q["options"], answer_plain, stem)
        out = new_question(type_name, self.html(stem), _line=q["line"],
                           category=re.sub(r"\s*[>＞/／]\s*", "/", self.plain(fields.get("category", ""))),
                           tags=[t for t in re.split(r"[,，;；、\s]+", self.plain(fields.get("tags", ""))) if t],
                           id_number=self.plain(fields.get("id_number", "")) or None,
                           explanation=self.html(fields.get("explanation", "")),
                           difficulty=_difficulty(self.plain(fields.get("difficulty", ""))),
                           points=_points(self.plain(fields.get("points", ""))))
        if out["points"] is None:
            out["points"] = q["points"]
        if type_name in _CHOICE_TYPES:
            if len(q["options"]) < 2:
                raise RowError(_("选择题至少需要两个选项（每个选项以“A.”“B.”等开头）。"))
            letters = _letters(answer_plain, len(q["options"]))
            if type_name == "single_choice" and len(letters) > 1:
                raise RowError(_("单选题只能有一个正确答案（多个答案的题请放在“多选题”大题下）。"))
            share = 1.0 if type_name == "single_choice" else 1.0 / len(letters)
            out["answers"] = [answer(self.html(text), share if "ABCDEFGH"[i] in letters else 0.0)
                              for i, text in enumerate(q["options"])]
        elif type_name == "true_false":
            if not answer_plain:
                raise RowError(_("判断题缺少答案（答案：对 或 错）。"))
            _true_false(out, [], answer_plain)
        elif type_name == "essay":
            if answer_text.strip():
                out["grader_info"] = self.html(answer_text)
        elif type_name == "fill_blank":
            READERS[type_name](out, [], answer_plain)
        else:
            READERS[type_name](out, [self.plain(o) for o in q["options"]], answer_plain)
        return out

    @staticmethod
    def _infer(options: list[str], answer_plain: str, stem: str) -> str:
        from app.questions.formats.xlsx import FALSE_WORDS, TRUE_WORDS

        if options:
            letters = [c for c in answer_plain.upper() if c.isalpha()]
            return "multiple_choice" if len(letters) > 1 else "single_choice"
        if answer_plain.lower() in TRUE_WORDS | FALSE_WORDS and answer_plain.lower() not in ("a", "b"):
            return "true_false"
        if _BLANK.search(stem) and answer_plain:
            return "fill_blank"
        return "essay"


def check_package(data: bytes) -> None:
    """Refuse what is not a Word document before python-docx sees it (renamed .doc, zip bombs, DTDs)."""
    if data[:8] == OLE_MAGIC:
        raise ValidationError(_("这是旧版 Word（.doc）文件，不是 .docx（可能只是改了扩展名）。请在 Word 或 WPS 中"
                                "“另存为”Word 文档（.docx）后再导入。"))
    if data[:4] != b"PK\x03\x04":
        raise ValidationError(_("文件不是有效的 Word 文档（.docx）。"))
    archive = open_zip(data, "Word")
    names = set(archive.namelist())
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise ValidationError(_("文件不是有效的 Word 文档（.docx）：缺少正文部分。"))
    head = read_member(archive, "word/document.xml")[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise ValidationError(_("Word 文档中含有 DTD 或实体声明（可能是 XML 炸弹或外部实体攻击），已拒绝。"))


@register
class Docx(Format):
    name = "docx"
    label = "Word (.docx)"
    extensions = (".docx",)
    mimetype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def sniff(self, filename: str, data: bytes) -> int:
        lower = (filename or "").lower()
        if data[:8] == OLE_MAGIC and lower.endswith((".doc", ".docx")):
            return 11  # an old .doc: parse explains how to convert it
        if data[:4] == b"PK\x03\x04":
            return 11 if b"word/" in data[:65536] or lower.endswith(".docx") else 0
        return 0

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        check_package(data)
        result = ParseResult(format=self.name)
        try:
            document = docx.Document(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError, SyntaxError) as exc:
            raise ValidationError(_("无法读取 Word 文档：%(msg)s", msg=str(exc)[:200])) from None
        _Reader(document, result).read()
        return result


# ------------------------------------------------------------------------------------------- template

TEMPLATE_LINES = [
    "试题导入模板（Word）",
    "说明：大题标题写成“一、单选题”；每道题以题号“1.”或“1、”开头；选项以“A.”“A、”开头，可写在一行或分行；"
    "答案、解析、难度、知识点、分值、标签各占一段，写成“答案：B”或“【答案】B”。填空题多个空的答案用“；”分隔，"
    "同一个空的多个可接受答案用“|”分隔。题干和选项中可以插入图片。请不要使用 Word 自动编号和表格。",
    "一、单选题（每题 2 分）",
    "1. 液压系统中，将机械能转换为液体压力能的元件是（ ）。",
    "A. 液压泵  B. 液压缸  C. 溢流阀  D. 油箱",
    "答案：A",
    "解析：液压泵是动力元件，把电动机输入的机械能转换为液体的压力能。",
    "难度：易",
    "知识点：液压传动/液压泵",
    "2. 普通车床主轴的转速通常通过（ ）调整。",
    "A、变速手柄",
    "B、尾座",
    "C、刀架",
    "D、中滑板",
    "【答案】A",
    "二、多选题（每题 3 分）",
    "1. 下列属于安全用电措施的有（ ）。",
    "A. 保护接地  B. 漏电保护器  C. 湿手操作开关  D. 停电检修挂牌",
    "答案：ABD",
    "难度：中",
    "三、判断题（每题 1 分）",
    "1. 使用砂轮机时，操作者应站在砂轮的正面。（ ）",
    "答案：错",
    "解析：应站在砂轮侧面，防止砂轮破碎伤人。",
    "四、填空题（每题 2 分）",
    "1. 游标卡尺的读数由____读数和____读数两部分组成。",
    "答案：主尺|尺身；游标",
    "五、简答题（每题 10 分）",
    "1. 简述钳工划线的作用。",
    "答案：确定加工位置和余量；检查毛坯；作为安装、加工的依据。",
    "知识点：钳工/划线",
]


def template() -> bytes:
    """Our Word template: the instructions and one example per section (re-imports without an error)."""
    import docx

    document = docx.Document()
    for index, line in enumerate(TEMPLATE_LINES):
        if index == 0:
            document.add_heading(line, level=1)
        else:
            document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
