"""Measure rendering + sanitising a 20 KB workbook page (issue 3 target: measure it; store the result).

    python bench/sanitize_page.py [--kb 20] [--runs 200]

Prints the page size, the median and 95th percentile time of ``app.core.sanitize.render_markdown`` (Markdown ->
clean HTML), of ``app.workbooks.markup.render_page`` (the same plus worksheet blocks, what saving a page version
does), and of ``clean_html`` on the resulting HTML, plus the cost of reading the stored HTML for comparison.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

PARAGRAPH = ("按照维修手册的要求，使用扭力扳手以对角顺序分两次紧固车轮螺栓，第一次紧固至规定扭矩的一半，第二次紧固至"
             "规定扭矩。紧固完成后检查轮毂与制动盘的贴合情况，并在工单上记录实测数值。**注意：**作业前必须确认车辆已可靠"
             "支撑在安全支架上，严禁仅用千斤顶支撑车辆进行作业。参见[维修手册第 3 章](https://example.com/manual#c3)。\n\n")
TABLE = ("| 序号 | 检查项目 | 标准值 | 实测值 | 结论 |\n|---:|---|---|---|---|\n"
         + "".join(f"| {i} | 制动盘厚度（位置 {i}） | ≥ 22.0 mm |  |  |\n" for i in range(1, 9)) + "\n")
LIST = "".join(f"{i}. 第 {i} 步：拆下卡钳固定螺栓，取出旧制动片，检查导向销是否卡滞；\n" for i in range(1, 7)) + "\n"
HOSTILE = ('<script>alert("x")</script>\n\n<img src=x onerror=alert(1)>\n\n[点我](javascript:alert(1))\n\n'
           '<a href="javascript:alert(1)">链接</a>\n\n')
IMAGE = "![制动片磨损极限示意图](/media/brake-pad-wear.png)\n\n"
WORKSHEET = """```worksheet
- key: torque_{n}
  type: table
  label: 车轮螺栓扭矩记录 {n}
  columns:
    - {{key: position, label: 车轮位置}}
    - {{key: value, label: 实测扭矩, type: number, unit: N·m}}
  row_labels: [左前, 右前, 左后, 右后]
- key: findings_{n}
  type: long_text
  label: 检查中发现的问题 {n}
```

"""


def make_page(kb: int) -> str:
    parts, n = ["# 盘式制动器检修工作页\n\n"], 0
    while len("".join(parts).encode("utf-8")) < kb * 1024:
        n += 1
        parts += [f"## 第 {n} 部分\n\n", PARAGRAPH, TABLE, LIST, IMAGE, HOSTILE if n % 3 == 0 else "",
                  WORKSHEET.format(n=n) if n % 2 == 0 else ""]
    return "".join(parts)


def measure(fn, runs: int) -> tuple[float, float, float]:
    """Median and p95 wall time, and median CPU time of this process (less disturbed by other load)."""
    fn()  # warm caches (cleaner, parser)
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    wall.sort()
    return statistics.median(wall), wall[max(0, int(len(wall) * 0.95) - 1)], statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from app import create_app
    from app.core.sanitize import clean_html, render_markdown
    from app.workbooks.markup import render_page

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    source = make_page(args.kb)
    with app.test_request_context():
        rendered = render_page(source)
        html = rendered.html
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"page: {len(source.encode('utf-8')) / 1024:.1f} KB Markdown, {len(html.encode('utf-8')) / 1024:.1f} KB "
              f"HTML, {len(rendered.fields)} worksheet fields; {args.runs} runs each")
        for name, fn in [("render_markdown (Markdown -> clean HTML)", lambda: render_markdown(source)),
                         ("render_page (+ worksheet blocks; done once on save)", lambda: render_page(source)),
                         ("clean_html on the rendered HTML", lambda: clean_html(html)),
                         ("reading the stored HTML (what a page view does)", lambda: str(html))]:
            median, p95, cpu = measure(fn, args.runs)
            print(f"  {name:<52} median {median:8.2f} ms  p95 {p95:8.2f} ms  CPU median {cpu:8.2f} ms")


if __name__ == "__main__":
    main()
