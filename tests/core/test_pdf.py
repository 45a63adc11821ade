"""The vendored CJK font renders Chinese into PDFs without any system font."""
import io
import re

import pypdf

from app.core.pdf import CJK_FAMILY, cjk_pdf, to_bytes


def _text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in reader.pages))


def test_chinese_text_is_embedded_and_extractable():
    pdf = cjk_pdf(title="活页")
    pdf.add_page()
    pdf.multi_cell(0, 8, "工学一体化活页式教材：检查制动系统，温度 25℃。")
    pdf.set_font(CJK_FAMILY, "B", 14)
    pdf.cell(0, 10, "汽车维修 Page 1")
    data = to_bytes(pdf)
    assert data.startswith(b"%PDF")
    text = _text(data)
    assert "工学一体化活页式教材：检查制动系统，温度25℃。" in text
    assert "汽车维修Page1" in text
    fonts = {str(f.get_object()["/BaseFont"]) for f in pypdf.PdfReader(io.BytesIO(data)).pages[0]
             ["/Resources"]["/Font"].values()}
    assert any("NotoSansCJKSC" in name for name in fonts)


def test_second_level_hanzi_are_in_the_subset():
    # 鑫 and 淼 are GB 2312 level-2 characters, common in Chinese names.
    pdf = cjk_pdf()
    pdf.add_page()
    pdf.cell(0, 10, "张鑫 王淼")
    assert "张鑫王淼" in _text(to_bytes(pdf))
