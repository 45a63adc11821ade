"""Excel question sheets: one importer with a header alias table for the layouts Chinese platforms export,
and our own template (with drop-down validation) that exports round-trip through.

Columns (any order, header names from :data:`ALIASES`): 题型, 题干, 选项A…选项H (or one 选项 cell with
``A.xxx B.xxx`` / one option per line), 正确答案, 答案解析, 难易度, 知识点, 分值, 标签, 题号, 标题.
Answers: choice letters as ``ABD``, ``A,B,D``, ``A；B；D``; 判断 as 对/错, 正确/错误, √/×, T/F, 是/否;
填空 blanks separated by ``；`` (or ``;``) and alternative answers of one blank by ``|``; 数值 as ``9.8``,
``9.8±0.1``, ``9.8:0.1`` or ``1..5``; 匹配 options written ``左项=右项`` (``=右项`` adds a distractor); for
简答 the answer is the reference answer shown to graders. CSV files with the same columns are read too.
"""
from __future__ import annotations

import io
import re
import unicodedata

from flask_babel import gettext as _

from app.core import tabular
from app.core.exports import safe_cell
from app.questions import sanitize
from app.questions.formats import Format, ParseResult, answer, new_question, number_text, register

#: field -> header names seen in the wild (compared after NFKC, without spaces, case-insensitive).
ALIASES: dict[str, tuple[str, ...]] = {
    "type": ("题型", "题目类型", "试题类型", "类型", "题类", "type"),
    "text": ("题干", "题目", "题目内容", "试题内容", "试题题干", "问题", "试题", "内容", "question", "text"),
    "options": ("选项", "备选项", "选项内容", "options"),
    "answer": ("正确答案", "答案", "参考答案", "标准答案", "answer", "answers"),
    "explanation": ("答案解析", "解析", "试题解析", "题目解析", "explanation"),
    "difficulty": ("难易度", "难度", "难易程度", "难度等级", "difficulty"),
    "category": ("知识点", "考点", "章节", "分类", "所属知识点", "category", "knowledge_point"),
    "points": ("分值", "分数", "得分", "points", "score"),
    "tags": ("标签", "tags"),
    "id_number": ("题号", "试题编号", "题目编号", "编号", "id", "id_number"),
    "name": ("标题", "试题名称", "名称", "name"),
    "general_feedback": ("反馈", "总体反馈", "general_feedback"),
}
REQUIRED = ("text",)
_OPTION_HEADER = re.compile(r"^(?:选项|答案|option)?([a-h])(?:选项|项)?$")
OPTION_LETTERS = "ABCDEFGH"

TYPE_WORDS = {
    "single_choice": ("单选", "单选题", "单项选择", "单项选择题", "单择题", "single", "single_choice", "选择题"),
    "multiple_choice": ("多选", "多选题", "多项选择", "多项选择题", "不定项", "不定项选择", "不定项选择题", "multiple",
                        "multiple_choice"),
    "true_false": ("判断", "判断题", "是非题", "对错题", "true_false", "truefalse"),
    "fill_blank": ("填空", "填空题", "fill_blank", "shortanswer"),
    "numerical": ("数值", "数值题", "numerical"),
    "matching": ("匹配", "匹配题", "连线", "连线题", "matching"),
    "essay": ("简答", "简答题", "问答", "问答题", "论述", "论述题", "实操", "实操题", "操作题", "综合题", "案例分析",
              "案例分析题", "名词解释", "计算题", "essay"),
    "description": ("说明", "材料", "阅读材料", "description"),
}
_TYPE_LOOKUP = {word.lower(): name for name, words in TYPE_WORDS.items() for word in words}
DIFFICULTY_WORDS = {"很易": 1, "很简单": 1, "非常简单": 1, "易": 2, "简单": 2, "容易": 2, "较易": 2, "中": 3,
                    "中等": 3, "一般": 3, "适中": 3, "较难": 4, "难": 4, "困难": 4, "很难": 5, "非常难": 5}
TRUE_WORDS = {"对", "正确", "√", "✓", "✔", "t", "true", "是", "y", "yes", "a"}
FALSE_WORDS = {"错", "错误", "×", "✗", "✘", "x", "f", "false", "否", "n", "no", "b"}
_LETTER_SPLIT = re.compile(r"[\s,，;；、/|]+")
_INLINE_OPTION = re.compile(r"(?:^|\s+|(?<=[；;|]))([A-H])\s*[.、．:：)）]\s*")
_BLANK_SPLIT = re.compile(r"\s*[;；]\s*")
_PLUS_MINUS = re.compile(r"^\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*(?:±|\+-|\+/-|:)\s*([\d.]+(?:[eE][-+]?\d+)?)\s*$")


class RowError(Exception):
    pass


def _norm_header(header: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", header or "")).lower()


def resolve_columns(headers: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(field -> header, option letter -> header) for the headers present."""
    lookup = {_norm_header(alias): name for name, aliases in ALIASES.items() for alias in aliases}
    columns: dict[str, str] = {}
    options: dict[str, str] = {}
    for header in headers:
        key = _norm_header(header)
        match = _OPTION_HEADER.match(key)
        if match:
            options.setdefault(match.group(1).upper(), header)
        elif key in lookup:
            columns.setdefault(lookup[key], header)
    return columns, options


def _cell(value: str) -> str:
    # Our own exports prefix formula-like text with a quote (formula injection); take it off again.
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value


def _split_options(cell: str) -> list[str]:
    lines = [line.strip() for line in cell.replace("\r", "\n").split("\n") if line.strip()]
    if len(lines) > 1:
        return [_INLINE_OPTION.sub("", line, count=1).strip() for line in lines]
    parts = _INLINE_OPTION.split(cell.strip())
    if len(parts) > 2:
        # ["", "A", "text", "B", "text" ...]
        return [parts[i + 1].strip().rstrip("；;|").strip() for i in range(1, len(parts) - 1, 2)]
    return [p.strip() for p in re.split(r"\s*[|｜]\s*", cell) if p.strip()]


def _letters(cell: str, count: int) -> list[str]:
    value = unicodedata.normalize("NFKC", cell).upper().strip()
    parts = [p for p in _LETTER_SPLIT.split(value) if p]
    if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha():
        parts = list(parts[0])
    letters = []
    for part in parts:
        if len(part) != 1 or part not in OPTION_LETTERS[:count]:
            raise RowError(_("答案“%(answer)s”不是有效的选项字母（共 %(n)s 个选项）。", answer=cell, n=count))
        if part not in letters:
            letters.append(part)
    if not letters:
        raise RowError(_("缺少正确答案。"))
    return letters


def _choice(q, options, answer_cell, multiple):
    if len(options) < 2:
        raise RowError(_("选择题至少需要两个选项。"))
    letters = _letters(answer_cell, len(options))
    if not multiple and len(letters) > 1:
        raise RowError(_("单选题只能有一个正确答案（题型写成“多选”可设多个答案）。"))
    share = 1.0 / len(letters)
    q["answers"] = [answer(sanitize.plain_to_html(text), (1.0 if not multiple else share)
                           if OPTION_LETTERS[i] in letters else 0.0) for i, text in enumerate(options)]


def _single(q, options, answer_cell):
    _choice(q, options, answer_cell, False)


def _multiple(q, options, answer_cell):
    _choice(q, options, answer_cell, True)


def _true_false(q, options, answer_cell):
    word = unicodedata.normalize("NFKC", answer_cell).strip().lower()
    if word in TRUE_WORDS:
        value = True
    elif word in FALSE_WORDS:
        value = False
    else:
        raise RowError(_("判断题的答案应为 对/错、正确/错误、√/× 或 T/F，而不是“%(answer)s”。", answer=answer_cell))
    q["answers"] = [answer("对", 1.0 if value else 0.0), answer("错", 0.0 if value else 1.0)]


def _fill_blank(q, options, answer_cell):
    if not answer_cell.strip():
        raise RowError(_("填空题缺少答案。"))
    blanks = [b for b in _BLANK_SPLIT.split(answer_cell.strip()) if b]
    for number, blank in enumerate(blanks, start=1):
        for alternative in blank.split("|"):
            if alternative.strip():
                q["answers"].append(answer(alternative.strip(), 1.0, blank=number))


def _numerical(q, options, answer_cell):
    value = unicodedata.normalize("NFKC", answer_cell).strip()
    match = _PLUS_MINUS.match(value)
    try:
        if match:
            q["answers"] = [answer(match.group(1), 1.0, tolerance=abs(float(match.group(2))))]
        elif ".." in value:
            low, high = (float(v) for v in value.split("..", 1))
            q["answers"] = [answer(number_text((low + high) / 2), 1.0,
                                   tolerance=float(number_text(abs(high - low) / 2)))]
        else:
            float(value)
            q["answers"] = [answer(value, 1.0, tolerance=0.0)]
    except ValueError:
        raise RowError(_("数值题的答案应为数字，例如 9.8 或 9.8±0.1，而不是“%(answer)s”。", answer=answer_cell)) from None


def _matching(q, options, answer_cell):
    for option in options:
        match = re.search(r"=|->|→", option)
        if not match:
            raise RowError(_("匹配题的每个选项应写成“左项=右项”。"))
        prompt, target = option[:match.start()], option[match.end():]
        q["pairs"].append({"prompt": sanitize.plain_to_html(prompt.strip()), "answer": target.strip()})


def _essay(q, options, answer_cell):
    if answer_cell.strip():
        q["grader_info"] = sanitize.plain_to_html(answer_cell)


def _description(q, options, answer_cell):
    q["points"] = 0


READERS = {"single_choice": _single, "multiple_choice": _multiple, "true_false": _true_false,
           "fill_blank": _fill_blank, "numerical": _numerical, "matching": _matching, "essay": _essay,
           "description": _description}


def _infer_type(options: list[str], answer_cell: str) -> str:
    word = unicodedata.normalize("NFKC", answer_cell).strip().lower()
    if options:
        letters = [c for c in word.upper() if c.isalpha()]
        return "multiple_choice" if len(letters) > 1 else "single_choice"
    if word in TRUE_WORDS | FALSE_WORDS:
        return "true_false"
    return "fill_blank" if word else "essay"


def _difficulty(cell: str):
    value = unicodedata.normalize("NFKC", cell).strip()
    if not value:
        return None
    if value in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[value]
    try:
        number = float(value)
    except ValueError:
        raise RowError(_("难易度应为 1–5 或 易/中/难，而不是“%(v)s”。", v=cell)) from None
    if not number.is_integer() or not 1 <= number <= 5:
        raise RowError(_("难易度应为 1–5 的整数。"))
    return int(number)


def _points(cell: str):
    value = unicodedata.normalize("NFKC", cell).strip().rstrip("分")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise RowError(_("分值应为数字，而不是“%(v)s”。", v=cell)) from None


def read_row(get, option_cells: list[str]) -> dict:
    """One interchange question from a row (``get(field)`` returns the cell of a field or "")."""
    text = get("text")
    if not text.strip():
        raise RowError(_("题干为空。"))
    options = [o for o in option_cells if o.strip()]
    if not options and get("options").strip():
        options = _split_options(get("options"))
    answer_cell = get("answer")
    type_cell = get("type").strip()
    if type_cell:
        type_name = _TYPE_LOOKUP.get(unicodedata.normalize("NFKC", type_cell).strip().lower())
        if type_name is None:
            raise RowError(_("无法识别的题型“%(t)s”。可用：单选、多选、判断、填空、数值、匹配、简答、说明。", t=type_cell))
    else:
        type_name = _infer_type(options, answer_cell)
    category = re.sub(r"\s*[>＞/／]\s*", "/", get("category").strip())
    q = new_question(type_name, sanitize.plain_to_html(text), name=get("name").strip(), category=category,
                     id_number=get("id_number").strip() or None,
                     tags=[t for t in re.split(r"[,，;；、\s]+", get("tags")) if t],
                     points=_points(get("points")), difficulty=_difficulty(get("difficulty")),
                     explanation=sanitize.plain_to_html(get("explanation")),
                     general_feedback=sanitize.plain_to_html(get("general_feedback")))
    READERS[type_name](q, options, answer_cell)
    return q


@register
class Xlsx(Format):
    name = "xlsx"
    label = "Excel"
    extensions = (".xlsx", ".csv")
    can_export = True
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def sniff(self, filename: str, data: bytes) -> int:
        if data[:4] == b"PK\x03\x04":
            return 10 if b"xl/" in data[:65536] or filename.lower().endswith(".xlsx") else 2
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            return 10  # old .xls: read_table explains how to convert it
        return 6 if filename.lower().endswith(".csv") else 0

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        table = tabular.read_table(filename or "questions.xlsx", data)
        result = ParseResult(format=self.name, encoding=table.encoding)
        columns, option_headers = resolve_columns(table.headers)
        if "text" not in columns:
            result.errors.append({"row": 1, "message": _(
                "缺少“题干”列。表头应包含：题型、题干、选项A…选项H（或“选项”）、正确答案、答案解析、难易度、知识点、分值。")})
            return result
        letters = sorted(option_headers)
        for number, row in table.rows:
            def get(field, row=row):
                header = columns.get(field)
                return _cell(row.get(header, "")) if header else ""
            option_cells = [_cell(row.get(option_headers[letter], "")) for letter in letters]
            try:
                q = read_row(get, option_cells)
            except RowError as exc:
                result.errors.append({"row": number, "message": str(exc)})
                continue
            q["_row"] = number
            result.questions.append(q)
        return result

    def export(self, questions: list[dict], *, bank_name: str = "") -> bytes:
        return template(questions)


TEMPLATE_HEADERS = ["题型", "题干", *[f"选项{letter}" for letter in OPTION_LETTERS], "正确答案", "答案解析", "难易度",
                    "知识点", "分值", "标签", "题号"]
TYPE_LABELS = {"single_choice": "单选", "multiple_choice": "多选", "true_false": "判断", "fill_blank": "填空",
               "numerical": "数值", "matching": "匹配", "essay": "简答", "description": "说明"}
EXAMPLES = [
    ["单选", "拧紧汽车轮胎螺栓应使用哪种工具？", "扭力扳手", "活动扳手", "管钳", "", "", "", "", "", "A",
     "轮胎螺栓有规定的拧紧力矩。", 2, "汽车维修/底盘", 2, "工具", ""],
    ["多选", "下列属于个人防护用品的有：", "安全帽", "防护眼镜", "扳手", "绝缘手套", "", "", "", "", "ABD", "", 3,
     "安全生产", 3, "安全", ""],
    ["判断", "使用砂轮机时可以不戴防护眼镜。", "", "", "", "", "", "", "", "", "错", "", 1, "安全生产", 1, "", ""],
    ["填空", "万用表测量电压时应与被测电路（ ）联；测电流时应（ ）联。", "", "", "", "", "", "", "", "", "并；串|串联",
     "", 2, "电工基础", 2, "", ""],
    ["数值", "重力加速度约为多少 m/s²？（保留一位小数）", "", "", "", "", "", "", "", "", "9.8±0.05", "", 1, "物理", 1,
     "", ""],
    ["匹配", "把工具和用途连起来。", "万用表=测电压", "扭力扳手=按力矩拧紧", "=焊接", "", "", "", "", "", "", "", 2,
     "工具", 3, "", ""],
    ["简答", "简述更换机油的主要步骤。", "", "", "", "", "", "", "", "", "放旧油、换滤清器、加新油、检查油位。", "", 3,
     "汽车维修/保养", 10, "", ""],
]


def _row_of(q: dict) -> list:
    """A stored question (interchange) as a template row."""
    options = [""] * len(OPTION_LETTERS)
    answer_cell = ""
    type_name = q["type"]
    answers = q.get("answers") or []
    if type_name in ("single_choice", "multiple_choice"):
        for i, a in enumerate(answers[:len(OPTION_LETTERS)]):
            options[i] = sanitize.html_to_text(a["text"])
        answer_cell = "".join(OPTION_LETTERS[i] for i, a in enumerate(answers[:len(OPTION_LETTERS)])
                              if a["fraction"] > 0)
    elif type_name == "true_false":
        right = next((a for a in answers if a["fraction"] > 0), None)
        answer_cell = "对" if right and right["text"].lower() in ("true", "对") else "错"
    elif type_name == "fill_blank":
        blanks: dict[int, list[str]] = {}
        for a in answers:
            if a["fraction"] >= 1.0:
                blanks.setdefault(a.get("blank") or 1, []).append(a["text"])
        answer_cell = "；".join("|".join(blanks[n]) for n in sorted(blanks))
    elif type_name == "numerical":
        best = max(answers, key=lambda a: a["fraction"]) if answers else None
        if best:
            answer_cell = best["text"] + (f"±{best['tolerance']:g}" if best.get("tolerance") else "")
    elif type_name == "matching":
        for i, pair in enumerate((q.get("pairs") or [])[:len(OPTION_LETTERS)]):
            options[i] = f"{sanitize.html_to_text(pair['prompt'])}={pair['answer']}"
    elif type_name == "essay":
        answer_cell = sanitize.html_to_text(q.get("grader_info") or "")
    return [TYPE_LABELS[type_name], sanitize.html_to_text(q["text"]), *options, answer_cell,
            sanitize.html_to_text(q.get("explanation") or ""), q.get("difficulty") or 3, q.get("category") or "",
            q.get("points") if q.get("points") is not None else "", "，".join(q.get("tags") or []),
            q.get("id_number") or ""]


def template(questions: list[dict] | None = None) -> bytes:
    """Our question sheet: the given questions (or examples), with drop-downs for 题型 and 难易度 and a
    sheet of instructions. Cells are formula-neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题目"
    sheet.append(TEMPLATE_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    rows = [_row_of(q) for q in questions] if questions is not None else EXAMPLES
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    last = max(2000, len(rows) + 500)
    types = DataValidation(type="list", formula1='"' + ",".join(TYPE_LABELS.values()) + '"', allow_blank=False,
                           showErrorMessage=True, errorTitle="题型", error="请从下拉列表中选择题型")
    types.add(f"A2:A{last}")
    difficulty = DataValidation(type="list", formula1='"1,2,3,4,5"', allow_blank=True, showErrorMessage=True,
                                errorTitle="难易度", error="难易度为 1（易）到 5（难）")
    column = sheet.cell(row=1, column=TEMPLATE_HEADERS.index("难易度") + 1).column_letter
    difficulty.add(f"{column}2:{column}{last}")
    sheet.add_data_validation(types)
    sheet.add_data_validation(difficulty)
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["B"].width = 48
    notes = workbook.create_sheet("填写说明")
    for line in (
        "每行一道题；第一行是表头，请勿修改表头文字。",
        "题型：单选、多选、判断、填空、数值、匹配、简答、说明（下拉选择）。",
        "选择题：选项写在“选项A…选项H”，正确答案写字母，多选如 ABD、A,B,D 或 A；B；D。",
        "判断题：正确答案写 对/错（也可写 正确/错误、√/×、T/F）。",
        "填空题：多个空的答案用“；”分隔，同一空的多个可接受答案用“|”分隔，如：并；串|串联。",
        "数值题：写数字，可带误差，如 9.8±0.05，或范围 1..5。",
        "匹配题：每个选项写成“左项=右项”；只写“=右项”表示干扰项。",
        "简答题：正确答案一栏填写参考答案（供阅卷老师参考）。",
        "难易度：1（易）到 5（难），也可写 易/中/难。知识点可用“/”分级，如：汽车维修/底盘。",
        "题号可留空；填写后重复导入同一题号会更新该题而不会重复。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
