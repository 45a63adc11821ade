"""Printed worksheets keep their tables: the PDF is read back (pdfplumber) and the ruled grid of a known table is
counted — one printed row per row label, every cell of a Markdown table ruled, blank cells tall enough to write in
by hand."""
from __future__ import annotations

import io
import re

import pdfplumber
import pypdf

from app.core.pdf import TABLE_ROW_HEIGHT
from app.extensions import db
from tests import factories
from tests.workbooks import helpers

MM = 72 / 25.4  # PDF points per millimetre

SOURCE = """测量并记录。

```worksheet
- key: thickness
  type: table
  label: 制动盘厚度测量
  columns:
    - {key: value, label: 实测厚度, type: number, unit: mm}
    - {key: verdict, label: 结论}
  row_labels: [左前, 右前, 左后, 右后, 备用]
```

| 检查项目 | 标准值 | 实测值 | 是否合格 |
|---|---|---|---|
| 制动液液位 | MIN–MAX 之间 | | |
| 摩擦片厚度 | ≥ 3 mm | | |
| 驻车制动行程 | 5–7 齿 | | |
"""


def _tables(data: bytes) -> list:
    """Tables pdfplumber finds from the drawn rules alone (no guessing from text): a list of row lists of cell
    boxes (x0, top, x1, bottom)."""
    with pdfplumber.open(io.BytesIO(data)) as doc:
        found = []
        for page in doc.pages:
            for table in page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"}):
                found.append([[cell for cell in row.cells] for row in table.rows])
        return found


def _printed(client, login_as, source: str) -> bytes:
    author, reviewer = factories.user("teacher"), factories.user("reviewer")
    wb = helpers.workbook(author)
    helpers.publish(helpers.page(wb, author, source=source), author, reviewer)
    db.session.commit()
    login_as("student")
    response = client.get(f"/workbooks/{wb.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def test_a_worksheet_table_prints_one_ruled_row_per_row_label(client, login_as):
    data = _printed(client, login_as, SOURCE)
    tables = _tables(data)
    assert len(tables) == 2, tables
    worksheet = tables[0]
    # A heading row and five rows to write in, each with the label and two ruled blank cells.
    assert len(worksheet) == 6
    assert all(len(row) == 3 and all(cell is not None for cell in row) for row in worksheet)
    for row in worksheet[1:]:
        x0, top, x1, bottom = row[1]
        assert bottom - top >= TABLE_ROW_HEIGHT * MM - 0.5  # room for handwriting
    text = re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))
    assert "左前" in text and "备用" in text and "实测厚度（mm）" in text


def test_a_markdown_table_prints_with_every_cell_ruled(client, login_as):
    tables = _tables(_printed(client, login_as, SOURCE))
    markdown = tables[1]
    assert len(markdown) == 4  # heading and three checks
    assert [len(row) for row in markdown] == [4, 4, 4, 4]
    assert all(cell is not None for row in markdown for cell in row)  # every cell closed by its four rules


def test_a_table_without_a_heading_row_and_with_a_short_row_keeps_its_grid(app):
    from app.core.pdf import cjk_pdf, to_bytes, write_html

    pdf = cjk_pdf()
    pdf.add_page()
    write_html(pdf, "<p>记录</p><table><tr><td>扭矩</td><td></td><td></td></tr><tr><td>签<br>字</td></tr></table>"
                    "<p>完成</p>")
    tables = _tables(to_bytes(pdf))
    assert [len(row) for row in tables[0]] == [3, 3]
    assert all(cell is not None for row in tables[0] for cell in row)
