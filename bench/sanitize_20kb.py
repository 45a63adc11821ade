#!/usr/bin/env python3
"""How long sanitising one 20 KB workbook page takes (Markdown -> HTML -> bleach allow-list), and how long
reading the stored result takes instead. Run: python bench/sanitize_20kb.py

Pages store the sanitised HTML, so this cost is paid once per saved version, never per read."""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.core.sanitize import clean_html, render_markdown  # noqa: E402

BLOCK = """## 任务{n}：制动片更换

1. 举升车辆前确认**支撑点**，锁止保险装置；
2. 拆下车轮，检查制动盘厚度（最小厚度见维修手册）；
3. 按规定力矩 `110 N·m` 紧固轮胎螺栓。

| 项目 | 标准值 | 实测值 |
|---|---|---|
| 制动片厚度 | ≥ 2 mm | |
| 制动盘端面跳动 | ≤ 0.05 mm | |

> 注意：<script>alert('x')</script> 与 [危险链接](javascript:alert(1)) 会被去除。
![示意图](/media/images/{n}.jpg) <img src=x onerror=alert(1)>

"""


def page(size: int = 20 * 1024) -> str:
    out, n = [], 0
    while len("".join(out).encode("utf-8")) < size:
        out.append(BLOCK.format(n=n))
        n += 1
    return "".join(out)


def main() -> None:
    md = page()
    html = render_markdown(md)
    runs, cpu = [], []
    for _ in range(30):
        start, start_cpu = time.perf_counter(), time.process_time()
        render_markdown(md)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    html_runs = []
    for _ in range(30):
        start = time.perf_counter()
        clean_html(html)
        html_runs.append(time.perf_counter() - start)
    print(f"page: {len(md.encode('utf-8')):,} bytes of Markdown -> {len(html.encode('utf-8')):,} bytes of HTML")
    print(f"render_markdown (markdown-it + bleach): median {statistics.median(runs) * 1000:.1f} ms, "
          f"min {min(runs) * 1000:.1f} ms over {len(runs)} runs; CPU time median {statistics.median(cpu) * 1000:.1f} ms "
          f"(wall time suffers on a loaded machine, CPU time less so)")
    print(f"clean_html alone on the HTML:            median {statistics.median(html_runs) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
