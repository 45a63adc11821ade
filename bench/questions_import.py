"""Generate 10,000 questions as GIFT and as XLSX, then time ``flask questions import`` on each.

    cd <repo> && /work/main/.venv/bin/python bench/questions_import.py [--count 10000] [--keep DIR]

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
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="imports of each file; the median is reported")
    parser.add_argument("--keep", default=None, help="folder to keep the generated files in")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="gx-bench-q-")
    # Byte-compile the app first, as any installed program is (pip does it for every package in the venv): with
    # PYTHONDONTWRITEBYTECODE set, as on some machines, each timed CLI run would otherwise compile ~200 modules
    # of app/ from source again (about 0.5 s of the figure that has nothing to do with importing questions).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "app", "config.py", "wsgi.py"], cwd=ROOT, check=True)
    os.makedirs(folder, exist_ok=True)
    gift_path, xlsx_path = os.path.join(folder, "bench.gift"), os.path.join(folder, "bench.xlsx")
    with open(gift_path, "w", encoding="utf-8") as fh:
        fh.write(gift(args.count))
    xlsx(args.count, xlsx_path)
    for label, path in (("GIFT", gift_path), ("XLSX", xlsx_path)):
        walls = []
        for round_ in range(1, args.rounds + 1):
            sub = tempfile.mkdtemp(prefix=f"gx-{label.lower()}-", dir=folder)
            seconds, cpu = run(path, f"bench-{label.lower()}", sub)
            walls.append(seconds)
            # CPU time is reported too: on a shared machine wall-clock time also measures the other processes.
            print(f"{label} round {round_}: {args.count} questions imported in {seconds:.2f} s wall, {cpu:.2f} s "
                  f"CPU (whole CLI command, load average {os.getloadavg()[0]:.1f})")
        # The median of the rounds is the figure: single runs of the same command vary by ±20% on this machine.
        print(f"{label}: median {statistics.median(walls):.2f} s, fastest {min(walls):.2f} s, slowest "
              f"{max(walls):.2f} s over {len(walls)} rounds")


if __name__ == "__main__":
    main()
