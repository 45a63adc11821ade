"""Generate 10,000 questions as GIFT, XLSX and Word (.docx) and a QTI 3.0 package of 1,000 items, then time
``flask questions import`` on each.

    cd <repo> && /work/main/.venv/bin/python bench/questions_import.py [--count 10000] [--qti-count 1000]
                                                                      [--formats gift,xlsx,docx,qti] [--keep DIR]

Each import runs in a fresh process against a fresh SQLite database in a temporary folder (DATABASE_URL
can point at PostgreSQL instead), the way an admin would run it; the figures are wall-clock times of the
whole command (start-up, parsing, validation, bulk writes, commit).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ("single", "multiple", "tf", "fill", "numerical", "essay")


def gift(count: int) -> str:
    blocks = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        if i % 500 == 0:
            blocks.append(f"$CATEGORY: $course$/top/汽车维修/模块{i // 500}")
        head = f"// [id:B{i}] [tag:bench]\n::题{i}::"
        if kind == "single":
            blocks.append(f"{head}第 {i} 题：拧紧螺栓应使用？{{=扭力扳手 ~活动扳手#不行 ~锤子 ~管钳}}")
        elif kind == "multiple":
            blocks.append(f"{head}第 {i} 题：防护用品有{{~%50%安全帽 ~%50%防护眼镜 ~%-100%扳手 ~%-100%锤子}}")
        elif kind == "tf":
            blocks.append(f"{head}第 {i} 题：砂轮机可以不戴防护眼镜。{{FALSE#必须戴#正确}}")
        elif kind == "fill":
            blocks.append(f"{head}第 {i} 题：测电压时万用表与电路 {{=并联 =%50%并}} 。")
        elif kind == "numerical":
            blocks.append(f"{head}第 {i} 题：重力加速度？{{#9.8:0.05}}")
        else:
            blocks.append(f"{head}第 {i} 题：简述更换机油的步骤。{{}}")
    return "\n\n".join(blocks) + "\n"


def xlsx(count: int, path: str) -> None:
    from openpyxl import Workbook

    # A normal workbook (not write-only): it records the sheet's <dimension>, as Excel always does; without it
    # openpyxl's read-only reader would parse the sheet twice.
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题目"
    sheet.append(["题型", "题干", "选项A", "选项B", "选项C", "选项D", "正确答案", "答案解析", "难易度", "知识点", "分值",
                  "题号"])
    rows = {
        "single": ("单选", "拧紧螺栓应使用？", "扭力扳手", "活动扳手", "锤子", "管钳", "A"),
        "multiple": ("多选", "防护用品有", "安全帽", "防护眼镜", "扳手", "锤子", "AB"),
        "tf": ("判断", "砂轮机可以不戴防护眼镜。", "", "", "", "", "错"),
        "fill": ("填空", "测电压时万用表与电路（ ）联。", "", "", "", "", "并|并联"),
        "numerical": ("数值", "重力加速度？", "", "", "", "", "9.8±0.05"),
        "essay": ("简答", "简述更换机油的步骤。", "", "", "", "", "放油、换滤芯、加油"),
    }
    for i in range(count):
        kind, text, a, b, c, d, answer = rows[KINDS[i % len(KINDS)]]
        sheet.append([kind, f"第 {i} 题：{text}", a, b, c, d, answer, "解析", 1 + i % 5, f"汽车维修/模块{i // 500}",
                      2, f"X{i}"])
    workbook.save(path)


def docx(count: int, path: str) -> None:
    """The Chinese Word layout: sections of each type, numbered stems, options on one line or one a
    paragraph, 答案/解析/难度/知识点 paragraphs; a picture in every 50th stem. The paragraphs are written as
    XML in one go (python-docx's add_paragraph scans the body on every call: quadratic for 80,000 paragraphs)."""
    import copy
    import io
    from xml.sax.saxutils import escape

    import docx as python_docx
    from docx.oxml import parse_xml
    from docx.shared import Cm
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(picture, "PNG")
    document = python_docx.Document()
    holder = document.add_paragraph()
    drawing = holder.add_run()
    drawing.add_picture(picture, width=Cm(1))
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paragraphs: list[str] = ["汽车维修题库（基准测试）"]
    pictured: list[int] = []
    sections = (("single", "单选题"), ("multiple", "多选题"), ("tf", "判断题"), ("fill", "填空题"),
                ("essay", "简答题"))
    per = count // len(sections)
    numerals = "一二三四五"
    n = 0
    for index, (kind, title) in enumerate(sections):
        paragraphs.append(f"{numerals[index]}、{title}（每题 2 分）")
        for number in range(1, (count - n if index == len(sections) - 1 else per) + 1):
            n += 1
            if n % 50 == 0:
                pictured.append(len(paragraphs))
            paragraphs.append(f"{number}. 第 {n} 题：" + {
                "single": "拧紧螺栓应使用（ ）。", "multiple": "下列属于防护用品的有（ ）。",
                "tf": "砂轮机可以不戴防护眼镜。（ ）", "fill": "测电压时万用表与电路____联，电流表与电路____联。",
                "essay": "简述更换机油的步骤。"}[kind])
            paragraphs += {"single": ["A. 扭力扳手  B. 活动扳手  C. 锤子  D. 管钳", "答案：A"],
                           "multiple": ["A、安全帽", "B、防护眼镜", "C、扳手", "D、锤子", "【答案】AB"],
                           "tf": ["答案：错"], "fill": ["答案：并|并联；串|串联"],
                           "essay": ["答案：放油、换滤芯、加油。"]}[kind]
            paragraphs += ["解析：按维修手册操作。", f"难度：{1 + n % 5}", f"知识点：汽车维修/模块{n // 500}"]
    body = document.element.body
    anchor = holder._p
    elements = parse_xml(f"<w:body {w}>" + "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
                                                   for text in paragraphs) + "</w:body>")
    children = list(elements)
    for index in pictured:
        children[index].append(copy.deepcopy(drawing._r))
    for child in children:
        anchor.addprevious(child)
    body.remove(anchor)
    document.save(path)


QTI_ITEMS = {
    "choice": ('<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">'
               "<qti-correct-response><qti-value>A</qti-value></qti-correct-response></qti-response-declaration>"
               "<qti-item-body><p>第 {n} 题：拧紧螺栓应使用？</p><qti-choice-interaction response-identifier="
               '"RESPONSE" max-choices="1"><qti-simple-choice identifier="A">扭力扳手</qti-simple-choice>'
               '<qti-simple-choice identifier="B">活动扳手</qti-simple-choice><qti-simple-choice identifier="C">锤子'
               "</qti-simple-choice></qti-choice-interaction></qti-item-body>"),
    "weighted": ('<qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="identifier">'
                 "<qti-correct-response><qti-value>A</qti-value><qti-value>B</qti-value></qti-correct-response>"
                 '<qti-mapping default-value="0"><qti-map-entry map-key="A" mapped-value="1"/><qti-map-entry '
                 'map-key="B" mapped-value="1"/><qti-map-entry map-key="C" mapped-value="-1"/></qti-mapping>'
                 "</qti-response-declaration><qti-item-body><p>第 {n} 题：防护用品有</p><qti-choice-interaction "
                 'response-identifier="RESPONSE" max-choices="0"><qti-simple-choice identifier="A">安全帽'
                 '</qti-simple-choice><qti-simple-choice identifier="B">防护眼镜</qti-simple-choice>'
                 '<qti-simple-choice identifier="C">扳手</qti-simple-choice></qti-choice-interaction></qti-item-body>'),
    "text": ('<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string">'
             "<qti-correct-response><qti-value>并联</qti-value></qti-correct-response></qti-response-declaration>"
             '<qti-item-body><p>第 {n} 题：测电压时万用表与电路<qti-text-entry-interaction response-identifier='
             '"RESPONSE"/>。</p></qti-item-body>'),
    "essay": ('<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>'
              "<qti-item-body><p>第 {n} 题：简述更换机油的步骤。</p><qti-extended-text-interaction "
              'response-identifier="RESPONSE"/></qti-item-body>'),
}


def qti(count: int, path: str) -> None:
    """A QTI 3.0 content package of ``count`` standard items (choice, weighted choice, text entry, essay)."""
    import zipfile

    kinds = list(QTI_ITEMS)
    resources = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(count):
            href = f"items/item{n}.xml"
            zf.writestr(href, '<?xml version="1.0" encoding="UTF-8"?><qti-assessment-item xmlns='
                        f'"http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="item{n}" title="题{n}" '
                        'adaptive="false" time-dependent="false">' + QTI_ITEMS[kinds[n % len(kinds)]].format(n=n)
                        + "</qti-assessment-item>")
            resources.append(f'<resource identifier="item{n}" type="imsqti_item_xmlv3p0" href="{href}">'
                             f'<file href="{href}"/></resource>')
        zf.writestr("imsmanifest.xml", '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" '
                    'identifier="bench"><organizations/><resources>' + "".join(resources) + "</resources></manifest>")


def run(path: str, bank: str, folder: str) -> float:
    env = dict(os.environ, FLASK_APP="wsgi.py", GX_INSTANCE_PATH=folder)
    env.setdefault("DATABASE_URL", "sqlite:///" + os.path.join(folder, "bench.db"))
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "flask", "questions", "import", path, "--bank", bank],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    print(result.stdout.strip().splitlines()[-1])
    # Peak resident memory of the largest child so far (the import is the largest: migrations stay small).
    peak_mb = cpu_after.ru_maxrss / 1024
    return elapsed, cpu, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="imports of each file; the median is reported")
    parser.add_argument("--keep", default=None, help="folder to keep the generated files in")
    parser.add_argument("--qti-count", type=int, default=1000, help="items in the QTI package")
    parser.add_argument("--formats", default="gift,xlsx,docx,qti", help="comma-separated: gift,xlsx,docx,qti")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="gx-bench-q-")
    # Byte-compile the app first, as any installed program is (pip does it for every package in the venv): with
    # PYTHONDONTWRITEBYTECODE set, as on some machines, each timed CLI run would otherwise compile ~200 modules
    # of app/ from source again (about 0.5 s of the figure that has nothing to do with importing questions).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "app", "config.py", "wsgi.py"], cwd=ROOT, check=True)
    os.makedirs(folder, exist_ok=True)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    files = []
    if "gift" in formats:
        files.append(("GIFT", os.path.join(folder, "bench.gift"), args.count))
        with open(files[-1][1], "w", encoding="utf-8") as fh:
            fh.write(gift(args.count))
    if "xlsx" in formats:
        files.append(("XLSX", os.path.join(folder, "bench.xlsx"), args.count))
        xlsx(args.count, files[-1][1])
    if "docx" in formats:
        files.append(("DOCX", os.path.join(folder, "bench.docx"), args.count))
        docx(args.count, files[-1][1])
    if "qti" in formats:
        files.append(("QTI", os.path.join(folder, "bench-qti.zip"), args.qti_count))
        qti(args.qti_count, files[-1][1])
    for label, path, count in files:
        walls = []
        for round_ in range(1, args.rounds + 1):
            sub = tempfile.mkdtemp(prefix=f"gx-{label.lower()}-", dir=folder)
            seconds, cpu, peak_mb = run(path, f"bench-{label.lower()}", sub)
            walls.append(seconds)
            # CPU time is reported too: on a shared machine wall-clock time also measures the other processes.
            print(f"{label} round {round_}: {count} questions imported in {seconds:.2f} s wall, {cpu:.2f} s "
                  f"CPU, peak memory {peak_mb:.0f} MB (whole CLI command, load average {os.getloadavg()[0]:.1f})")
        # The median of the rounds is the figure: single runs of the same command vary by ±20% on this machine.
        print(f"{label}: median {statistics.median(walls):.2f} s, fastest {min(walls):.2f} s, slowest "
              f"{max(walls):.2f} s over {len(walls)} rounds")


if __name__ == "__main__":
    main()
