"""简答/论述/实操 essay: a written answer and/or attached files (photos of practical work), graded by hand."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.questions.types import register
from app.questions.types.base import QuestionType, fail, html_of, label_of, plain, text_of, yes_no

RESPONSE_FORMATS = ("text", "none")
MAX_TEXT = 50000
MAX_FILES = 20


@register
class Essay(QuestionType):
    name = "essay"
    label = _l("简答题")
    is_auto_graded = False

    def validate_data(self, data: dict) -> dict:
        data = data or {}
        response_format = data.get("response_format") or "text"
        if response_format not in RESPONSE_FORMATS:
            fail(_l("未知的作答方式：%(f)s"), f=response_format)
        attachments = data.get("attachments", 0)
        if not isinstance(attachments, int) or isinstance(attachments, bool) or not 0 <= attachments <= MAX_FILES:
            fail(_l("附件数量必须是 0 到 %(n)s 之间的整数。"), n=MAX_FILES)
        require = bool(data.get("require_attachment", False))
        if require and attachments == 0:
            attachments = 1
        if response_format == "none" and attachments == 0:
            fail(_l("不要求文字作答时，必须允许上传附件。"))
        return {"response_format": response_format, "attachments": attachments, "require_attachment": require,
                "grader_info": html_of(data.get("grader_info"), "grader_info", required=False),
                "response_template": text_of(data.get("response_template"), "template", required=False)}

    def from_interchange(self, question: dict) -> dict:
        return {key: question[key] for key in ("response_format", "attachments", "require_attachment",
                                                "grader_info", "response_template") if question.get(key) is not None}

    def to_interchange(self, data: dict) -> dict:
        return {"answers": [], "pairs": [], **data}

    def public_view(self, version) -> dict:
        view = super().public_view(version)
        data = version.data
        view.update(response_format=data["response_format"], attachments=data["attachments"],
                    require_attachment=data["require_attachment"], response_template=data["response_template"])
        return view

    def validate_response(self, data: dict, response):
        if response is None or response == "":
            return {"text": "", "files": []}
        if isinstance(response, str):
            response = {"text": response}
        if not isinstance(response, dict):
            fail(_l("简答题的答案应为 {\"text\": 文本, \"files\": [文件编号]}。"))
        text = response.get("text") or ""
        files = response.get("files") or []
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            fail(_l("作答内容过长或格式错误。"))
        if not isinstance(files, list) or not all(isinstance(f, (int, str)) for f in files):
            fail(_l("附件列表格式错误。"))
        if len(files) > data["attachments"]:
            fail(_l("附件最多 %(n)s 个。"), n=data["attachments"])
        return {"text": text, "files": files}

    def grade(self, data, response, points, *, scoring=None):
        return None, None

    def data_lines(self, data: dict) -> list[str]:
        lines = [label_of(_l("文字作答：%(v)s", v=yes_no(data.get("response_format", "text") != "none"))),
                 label_of(_l("附件数量上限：%(n)s", n=data.get("attachments", 0))),
                 label_of(_l("必须上传附件：%(v)s", v=yes_no(data.get("require_attachment"))))]
        if data.get("grader_info"):
            lines.append(label_of(_l("评分参考：%(v)s", v=plain(data["grader_info"]))))
        if data.get("response_template"):
            lines.append(label_of(_l("作答模板：%(v)s", v=" ".join(data["response_template"].split()))))
        return lines

    def review(self, data: dict, options: list[dict], response) -> dict:
        # The grader information is for teachers; a review has no "right answer" to show.
        text = response.get("text") if isinstance(response, dict) else response if isinstance(response, str) else ""
        return {"options": [], "response": text if (text or "").strip() else None, "right": None, "rows": []}

    def correct_answer_view(self, data: dict) -> dict:
        return {"grader_info": data.get("grader_info", "")}
