"""Question-bank forms. Authoring forms are a registry keyed by question type (:data:`FORMS`): each one adds
its type's fields to the common ones and converts between them and the type's data JSON."""
from __future__ import annotations

import html

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DecimalField, HiddenField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, widgets)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.questions import sanitize
from app.questions.types.base import OPTION_KEYS

FORM_OPTION_KEYS = OPTION_KEYS[:8]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class BankForm(FlaskForm):
    key = StringField(_l("题库代码"), validators=[DataRequired(), Length(min=2, max=64)],
                      description=_l("唯一标识，小写字母、数字、连字符，例如 auto-repair-basics"))
    name = StringField(_l("题库名称"), validators=[DataRequired(), Length(max=200)])
    profession_id = SelectField(_l("专业"), coerce=int, validators=[Optional()])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])


class KnowledgePointForm(FlaskForm):
    name = StringField(_l("知识点名称"), validators=[DataRequired(), Length(max=200)])
    parent_id = SelectField(_l("上级知识点"), coerce=int, validators=[Optional()])
    learning_task_id = SelectField(_l("学习任务"), coerce=int, validators=[Optional()], default=0,
                                   description=_l("可选：本题库专业的课程标准中的学习任务"))


class ImportForm(FlaskForm):
    file = FileField(_l("题库文件"), validators=[DataRequired(message=_l("请选择要导入的文件。"))])
    format = SelectField(_l("格式"), choices=[("auto", _l("自动识别")), ("xlsx", "Excel (.xlsx)"),
                                              ("docx", "Word (.docx)"), ("gift", "GIFT"), ("aiken", "Aiken"),
                                              ("moodlexml", "Moodle XML"), ("qti", "QTI 2.1 / 3.0"), ("json", "JSON")],
                         default="auto")


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A bare form for POST buttons (CSRF only)."""


class QuestionForm(FlaskForm):
    """Fields every question type has."""

    text = TextAreaField(_l("题干"), validators=[DataRequired(), Length(max=20000)],
                         description=_l("可直接输入文字；也可使用简单 HTML（加粗、列表、表格等），保存时会自动清理。"))
    image = FileField(_l("插图（可选）"), description=_l("PNG、JPEG、GIF 或 WebP 图片，会附加在题干末尾。"))
    name = StringField(_l("标题"), validators=[Optional(), Length(max=255)], description=_l("留空则取题干开头"))
    points = DecimalField(_l("分值"), places=None, default=1, validators=[Optional(), NumberRange(min=0, max=1000)])
    difficulty = SelectField(_l("难易度"), coerce=int, default=3,
                             choices=[(1, _l("1 很易")), (2, _l("2 较易")), (3, _l("3 中等")), (4, _l("4 较难")),
                                      (5, _l("5 很难"))])
    knowledge_point_id = SelectField(_l("知识点"), coerce=int, validators=[Optional()])
    tags = StringField(_l("标签"), validators=[Optional(), Length(max=500)], description=_l("多个标签用逗号分隔"))
    id_number = StringField(_l("题号"), validators=[Optional(), Length(max=100)])
    explanation = TextAreaField(_l("答案解析"), validators=[Optional(), Length(max=20000)])
    general_feedback = TextAreaField(_l("总体反馈"), validators=[Optional(), Length(max=20000)])
    change_note = StringField(_l("修改说明"), validators=[Optional(), Length(max=255)])
    version = HiddenField()

    #: names of the type-specific fields, in display order (set by subclasses)
    type_fields: tuple[str, ...] = ()
    #: The stored data of the version being edited (None for a new question). The form shows only the common
    #: case (right or wrong); what it cannot show — imported partial credit, penalties, per-answer feedback —
    #: is carried over from here so that fixing a typo does not silently change how the question is graded.
    previous: dict | None = None

    def load(self, data: dict) -> None:
        """Fill the type-specific fields from stored data (editing)."""

    def to_data(self) -> dict:
        """The type's data JSON from the form (validated afterwards by the type)."""
        return {}


FORMS: dict[str, type[QuestionForm]] = {}


def form_for(type_name: str):
    def deco(cls):
        FORMS[type_name] = cls
        return cls
    return deco


def _option_fields(cls):
    for key in FORM_OPTION_KEYS:
        setattr(cls, f"option_{key.lower()}", StringField(_l("选项 %(key)s", key=key),
                                                          validators=[Optional(), Length(max=2000)]))
    return cls


def _options_from(form, correct: set[str]) -> list[dict]:
    options = []
    for key in FORM_OPTION_KEYS:
        # Option texts are stored as sanitised HTML (plain text typed here comes out escaped).
        text = sanitize.clean_html((getattr(form, f"option_{key.lower()}").data or "").strip())
        if text:
            options.append({"key": OPTION_KEYS[len(options)], "text": text, "source": key})
    right = [o for o in options if o["source"] in correct]
    for option in options:
        option["fraction"] = (1.0 / len(right) if right else 0.0) if option["source"] in correct else 0.0
        del option["source"]
    return options


def _keep_option_details(options: list[dict], previous: dict | None, full: float = 0.0) -> list[dict]:
    """Carry feedback and imported fractions over from the edited version, matching options by their text.

    Fractions are kept when the right options are still the same ones (a penalty such as -50 % or weights such
    as 60/40 survive an edit of the wording elsewhere); when the teacher changed which options are right, the
    right ones get equal shares and only penalties of options still marked wrong are kept. An option counts as
    right above ``full`` (single choice: only the fully right one, so its partially right options are kept).
    """
    # Compared as sanitised HTML: versions saved before option texts were sanitised may hold raw text.
    before = {sanitize.clean_html(o["text"]): o for o in (previous or {}).get("options", [])}
    if not before:
        return options
    same_key = ({o["text"] for o in options if o["fraction"] > full}
                == {t for t, o in before.items() if o["fraction"] > full})
    for option in options:
        old = before.get(option["text"])
        if old is None:
            continue
        option["feedback"] = old.get("feedback", "")
        if same_key:
            option["fraction"] = old["fraction"]
        elif option["fraction"] <= 0 and old["fraction"] < 0:
            option["fraction"] = old["fraction"]
    return options


def _editable(value: str) -> str:
    """Stored HTML as the teacher typed it: entities of plain text unescaped (``a &lt; b`` -> ``a < b``), markup
    kept as it is."""
    return value if "<" in value else html.unescape(value)


def _load_options(form, data: dict) -> None:
    for option, key in zip(data.get("options", []), FORM_OPTION_KEYS):
        getattr(form, f"option_{key.lower()}").data = _editable(option["text"])


@form_for("single_choice")
@_option_fields
class SingleChoiceForm(QuestionForm):
    correct = RadioField(_l("正确答案"), choices=[(k, k) for k in FORM_OPTION_KEYS],
                         validators=[DataRequired(message=_l("请选择正确答案。"))])
    shuffle = BooleanField(_l("考试时打乱选项顺序"), default=True)
    type_fields = tuple(f"option_{k.lower()}" for k in FORM_OPTION_KEYS) + ("correct", "shuffle")

    def load(self, data):
        _load_options(self, data)
        best = max(data["options"], key=lambda o: o["fraction"])
        self.correct.data = FORM_OPTION_KEYS[data["options"].index(best)]
        self.shuffle.data = data.get("shuffle", True)

    def to_data(self):
        options = _options_from(self, {self.correct.data})
        for option in options:
            option["fraction"] = 1.0 if option["fraction"] > 0 else 0.0
        return {"options": _keep_option_details(options, self.previous, full=0.999), "shuffle": self.shuffle.data}


@form_for("multiple_choice")
@_option_fields
class MultipleChoiceForm(QuestionForm):
    correct = MultiCheckboxField(_l("正确答案（可多选）"), choices=[(k, k) for k in FORM_OPTION_KEYS])
    scoring = SelectField(_l("计分方式"), choices=[("all_or_nothing", _l("全部选对才得分")),
                                                   ("proportional", _l("少选按比例得分，错选不得分")),
                                                   ("fractions", _l("按各选项权重（导入的 Moodle 权重）"))])
    shuffle = BooleanField(_l("考试时打乱选项顺序"), default=True)
    type_fields = tuple(f"option_{k.lower()}" for k in FORM_OPTION_KEYS) + ("correct", "scoring", "shuffle")

    def load(self, data):
        _load_options(self, data)
        self.correct.data = [FORM_OPTION_KEYS[i] for i, o in enumerate(data["options"]) if o["fraction"] > 0]
        self.scoring.data = data.get("scoring", "all_or_nothing")
        self.shuffle.data = data.get("shuffle", True)

    def to_data(self):
        return {"options": _keep_option_details(_options_from(self, set(self.correct.data or [])), self.previous),
                "scoring": self.scoring.data, "shuffle": self.shuffle.data}


@form_for("true_false")
class TrueFalseForm(QuestionForm):
    answer = RadioField(_l("正确答案"), choices=[("true", _l("对")), ("false", _l("错"))],
                        validators=[DataRequired(message=_l("请选择正确答案。"))])
    feedback_true = StringField(_l("答“对”时的反馈"), validators=[Optional(), Length(max=2000)])
    feedback_false = StringField(_l("答“错”时的反馈"), validators=[Optional(), Length(max=2000)])
    type_fields = ("answer", "feedback_true", "feedback_false")

    def load(self, data):
        self.answer.data = "true" if data["answer"] else "false"
        self.feedback_true.data, self.feedback_false.data = data["feedback_true"], data["feedback_false"]

    def to_data(self):
        return {"answer": self.answer.data == "true", "feedback_true": self.feedback_true.data or "",
                "feedback_false": self.feedback_false.data or ""}


@form_for("fill_blank")
class FillBlankForm(QuestionForm):
    blanks = TextAreaField(_l("各空的参考答案"), validators=[DataRequired(), Length(max=20000)],
                           description=_l("每行一个空；同一空有多个可接受答案时用 | 分隔，可用 * 作通配符（\\* 表示星号本身）。"))
    case_sensitive = BooleanField(_l("区分大小写"))
    normalize_width = BooleanField(_l("全角半角视为相同"), default=True)
    whitespace = SelectField(_l("空格处理"), choices=[("collapse", _l("忽略首尾空格，连续空格视为一个")),
                                                      ("ignore", _l("忽略所有空格")), ("exact", _l("空格必须一致"))])
    type_fields = ("blanks", "case_sensitive", "normalize_width", "whitespace")

    def load(self, data):
        self.blanks.data = "\n".join(" | ".join(a["text"] for a in b["answers"] if a["fraction"] >= 1)
                                     for b in data["blanks"])
        self.case_sensitive.data = data["case_sensitive"]
        self.normalize_width.data = data["normalize_width"]
        self.whitespace.data = data["whitespace"]

    def to_data(self):
        lines = [line for line in (self.blanks.data or "").splitlines() if line.strip()]
        before = (self.previous or {}).get("blanks", [])
        blanks = []
        for number, line in enumerate(lines):
            old = {a["text"]: a for a in before[number]["answers"]} if number < len(before) else {}
            answers = [{"text": t, "fraction": 1.0, "feedback": old.get(t, {}).get("feedback", "")}
                       for t in (a.strip() for a in line.split("|")) if t]
            listed = {a["text"] for a in answers}
            # Partially right answers (imported, not shown in the form) stay with their blank.
            answers += [dict(a) for t, a in old.items() if a["fraction"] < 1 and t not in listed]
            blanks.append({"answers": answers})
        return {"blanks": blanks, "case_sensitive": self.case_sensitive.data,
                "normalize_width": self.normalize_width.data, "whitespace": self.whitespace.data}


@form_for("numerical")
class NumericalForm(QuestionForm):
    value = DecimalField(_l("正确答案"), places=None, validators=[DataRequired()])
    tolerance = DecimalField(_l("允许误差（±）"), places=None, default=0, validators=[Optional(), NumberRange(min=0)])
    type_fields = ("value", "tolerance")

    def load(self, data):
        best = max(data["answers"], key=lambda a: a["fraction"])
        self.value.data, self.tolerance.data = best["value"], best["tolerance"]

    def to_data(self):
        value = float(self.value.data) if self.value.data is not None else None
        best = {"value": value, "tolerance": float(self.tolerance.data or 0), "fraction": 1.0, "feedback": ""}
        before = (self.previous or {}).get("answers", [])
        old_best = max(before, key=lambda a: a["fraction"]) if before else None
        if old_best is not None and old_best["value"] == value:
            best["feedback"] = old_best.get("feedback", "")
        # Other accepted answers (imported partial credit, not shown in the form) are kept, and so is the
        # feedback for any other answer (Moodle's "*").
        data = {"answers": [best] + [dict(a) for a in before if a is not old_best and a["fraction"] < 1]}
        if (self.previous or {}).get("other_feedback"):
            data["other_feedback"] = self.previous["other_feedback"]
        return data


@form_for("matching")
class MatchingForm(QuestionForm):
    pairs = TextAreaField(_l("配对"), validators=[DataRequired(), Length(max=20000)],
                          description=_l("每行一对，写成“左项 = 右项”，至少两行。"))
    distractors = TextAreaField(_l("干扰项"), validators=[Optional(), Length(max=5000)],
                                description=_l("每行一个只出现在右侧、不与任何左项匹配的答案。"))
    type_fields = ("pairs", "distractors")

    def load(self, data):
        self.pairs.data = "\n".join(f"{_editable(p['prompt'])} = {p['answer']}" for p in data["pairs"])
        self.distractors.data = "\n".join(data.get("distractors", []))

    def to_data(self):
        pairs = []
        for line in (self.pairs.data or "").splitlines():
            if line.strip():
                prompt, _sep, answer = line.partition("=")
                pairs.append({"prompt": prompt.strip(), "answer": answer.strip()})
        return {"pairs": pairs,
                "distractors": [d.strip() for d in (self.distractors.data or "").splitlines() if d.strip()]}


@form_for("essay")
class EssayForm(QuestionForm):
    response_format = SelectField(_l("作答方式"), choices=[("text", _l("文字作答")), ("none", _l("只上传文件或照片"))])
    attachments = IntegerField(_l("允许上传的文件/照片数"), default=0, validators=[Optional(), NumberRange(min=0, max=20)])
    require_attachment = BooleanField(_l("必须上传文件或照片（如实操照片）"))
    grader_info = TextAreaField(_l("参考答案 / 评分要点"), validators=[Optional(), Length(max=20000)])
    response_template = TextAreaField(_l("作答模板"), validators=[Optional(), Length(max=5000)])
    type_fields = ("response_format", "attachments", "require_attachment", "grader_info", "response_template")

    def load(self, data):
        for name in self.type_fields:
            getattr(self, name).data = data.get(name)

    def to_data(self):
        return {"response_format": self.response_format.data, "attachments": self.attachments.data or 0,
                "require_attachment": self.require_attachment.data, "grader_info": self.grader_info.data or "",
                "response_template": self.response_template.data or ""}


@form_for("description")
class DescriptionForm(QuestionForm):
    type_fields = ()
