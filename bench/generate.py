"""Generate a national-scale database for the benchmarks.

    python -m bench.generate                       # full scale into bench/out/national.db
    python -m bench.generate --scale small --url sqlite:////tmp/small.db
    DATABASE_URL=postgresql://... python -m bench.generate

The schema comes from the migrations and the reference data from ``content/`` (exactly what ``flask db upgrade``
and ``flask content load`` do); then schools, enterprises, partnerships and users are written with bulk
``INSERT ... executemany`` in a few statements. Every user gets the same precomputed argon2 hash: hashing
110,000 passwords one by one would take hours and measure nothing we care about here.

The generator refuses to write into a database that already holds users, so that it never mixes its rows
with real or previously generated data.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")

#: The platform admin the runner logs in as. Not the demo password, which production refuses.
BENCH_ADMIN = "bench-admin"
BENCH_PASSWORD = "bench-Gx-2026-load-test"
#: A school admin of the first generated school (for scenarios that need a school-scoped view).
BENCH_SCHOOL_ADMIN = "bench-school-admin"


@dataclass(frozen=True)
class Scale:
    """How many rows of each kind to generate."""

    schools: int
    teachers: int
    students: int
    enterprises: int
    mentors: int
    reviewers: int
    partnerships: int


SCALES = {
    # issue 2: 1,000 schools, 10,000 teachers, 100,000 students.
    "full": Scale(schools=1000, teachers=10_000, students=100_000, enterprises=2000, mentors=4000, reviewers=200,
                  partnerships=3000),
    # The same shapes, a hundredth of the rows: used to show statement counts do not depend on size.
    "small": Scale(schools=10, teachers=100, students=1000, enterprises=20, mentors=40, reviewers=2,
                   partnerships=30),
}

PROVINCES = [
    ("北京市", ["北京市"]), ("天津市", ["天津市"]), ("河北省", ["石家庄市", "唐山市", "保定市"]),
    ("山西省", ["太原市", "大同市"]), ("内蒙古自治区", ["呼和浩特市", "包头市"]), ("辽宁省", ["沈阳市", "大连市"]),
    ("吉林省", ["长春市", "吉林市"]), ("黑龙江省", ["哈尔滨市", "齐齐哈尔市"]), ("上海市", ["上海市"]),
    ("江苏省", ["南京市", "苏州市", "无锡市"]), ("浙江省", ["杭州市", "宁波市", "温州市"]),
    ("安徽省", ["合肥市", "芜湖市"]), ("福建省", ["福州市", "厦门市"]), ("江西省", ["南昌市", "九江市"]),
    ("山东省", ["济南市", "青岛市", "烟台市"]), ("河南省", ["郑州市", "洛阳市"]), ("湖北省", ["武汉市", "宜昌市"]),
    ("湖南省", ["长沙市", "株洲市"]), ("广东省", ["广州市", "深圳市", "佛山市", "东莞市"]),
    ("广西壮族自治区", ["南宁市", "柳州市"]), ("海南省", ["海口市"]), ("重庆市", ["重庆市"]),
    ("四川省", ["成都市", "绵阳市"]), ("贵州省", ["贵阳市"]), ("云南省", ["昆明市"]), ("西藏自治区", ["拉萨市"]),
    ("陕西省", ["西安市", "宝鸡市"]), ("甘肃省", ["兰州市"]), ("青海省", ["西宁市"]), ("宁夏回族自治区", ["银川市"]),
    ("新疆维吾尔自治区", ["乌鲁木齐市"]),
]
SCHOOL_KINDS = [("technician_college", "技师学院"), ("senior_technical_school", "高级技工学校"),
                ("technical_school", "技工学校")]
INDUSTRIES = ["汽车制造", "工业机器人", "数控加工", "电气设备", "餐饮", "新能源汽车", "建筑施工", "物流", "电子信息", "化工"]
PARTNERSHIP_KINDS = ["order_training", "apprenticeship", "training_base", "industry_college"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强海燕雪梅文博子涵浩然欣怡宇轩思远佳琪俊杰"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _make_app(url: str):
    from app import create_app

    os.makedirs(OUT, exist_ok=True)
    # Development settings suffice to write data; the runner serves the result with production settings.
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": OUT, "CONFIG": "development",
                       "RATELIMIT_STORAGE_URI": "memory://"})


def default_url(name: str = "national") -> str:
    return "sqlite:///" + os.path.join(OUT, f"{name}.db")


class NotEmpty(RuntimeError):
    pass


def generate(url: str, scale: Scale, *, seed: int = 2026, log=print) -> dict[str, int]:
    """Migrate, load content and fill ``url`` with ``scale`` rows; returns the row counts written."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app.auth.models import User
    from app.core.content import default_content_root, load_content
    from app.extensions import db

    app = _make_app(url)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        existing = db.session.scalar(select(func.count()).select_from(User))
        if existing:
            raise NotEmpty(f"refusing to generate into a database that already holds {existing} users ({url}); "
                           "delete the file, or give --url / DATABASE_URL an empty database")
        load_content(default_content_root())
        db.session.commit()
        log(f"  schema and content ready ({time.perf_counter() - started:.1f} s)")
        writer = _Writer(db.session.connection(), random.Random(seed))
        schools = writer.schools(scale.schools)
        enterprises = writer.enterprises(scale.enterprises)
        writer.partnerships(schools, enterprises, scale.partnerships)
        writer.users(scale, schools, enterprises)
        if db.engine.dialect.name == "postgresql":
            # Explicit ids leave the serial sequences behind; later inserts by the app would collide.
            for table in ("school", "enterprise", "partnership", "user", "user_role"):
                writer.conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                            f"(SELECT max(id) FROM \"{table}\"))")
        db.session.commit()
        with db.engine.connect() as c:
            # Fresh statistics, as a database that has lived a while would have.
            c.exec_driver_sql("ANALYZE")
            c.commit()
        log(f"  generated {writer.counts} in {time.perf_counter() - started:.1f} s")
        db.session.remove()
        db.engine.dispose()
    return writer.counts


class _Writer:
    """Bulk-inserts generated rows with explicit ids (so that rows can refer to each other without reading back)."""

    def __init__(self, conn, rng: random.Random):
        from app.core import clock

        self.conn, self.rng = conn, rng
        self.now = clock.now()  # what the app's utcnow column default would store
        self.counts: dict[str, int] = {}

    def _next_id(self, model) -> int:
        from sqlalchemy import func, select

        return (self.conn.scalar(select(func.max(model.id))) or 0) + 1

    def _insert(self, model, rows: list[dict], name: str, chunk: int = 20_000) -> None:
        from sqlalchemy import insert

        for start in range(0, len(rows), chunk):
            self.conn.execute(insert(model), rows[start:start + chunk])  # executemany
        self.counts[name] = len(rows)

    def schools(self, n: int) -> list[int]:
        from app.orgs.models import School

        first, rows = self._next_id(School), []
        for i in range(n):
            province, cities = PROVINCES[i % len(PROVINCES)]
            kind, suffix = SCHOOL_KINDS[i % len(SCHOOL_KINDS)]
            city = self.rng.choice(cities)
            rows.append({
                "id": first + i, "key": f"bench-school-{i:04d}", "name": f"{city.rstrip('市')}第{i + 1}{suffix}",
                "kind": kind, "province": province, "city": city,
                "integrated_since": date(2021 + i % 5, 9, 1) if i % 3 else None,
                "is_active": True, "created_at": self.now, "version": 1})
        self._insert(School, rows, "schools")
        return [r["id"] for r in rows]

    def enterprises(self, n: int) -> list[int]:
        from app.orgs.models import Enterprise

        first, rows = self._next_id(Enterprise), []
        for i in range(n):
            province, cities = PROVINCES[(i * 7) % len(PROVINCES)]
            industry = INDUSTRIES[i % len(INDUSTRIES)]
            city = self.rng.choice(cities)
            rows.append({
                "id": first + i, "key": f"bench-ent-{i:05d}", "name": f"{city.rstrip('市')}{industry}第{i + 1}有限公司",
                "industry": industry, "province": province, "city": city, "is_active": True,
                "created_at": self.now, "version": 1})
        self._insert(Enterprise, rows, "enterprises")
        return [r["id"] for r in rows]

    def partnerships(self, schools: list[int], enterprises: list[int], n: int) -> None:
        from app.orgs.models import Partnership

        pairs: set[tuple[int, int, str]] = set()
        while len(pairs) < min(n, len(schools) * len(enterprises)):
            pairs.add((self.rng.choice(schools), self.rng.choice(enterprises), self.rng.choice(PARTNERSHIP_KINDS)))
        self._insert(Partnership, [
            {"school_id": s, "enterprise_id": e, "kind": k, "since": date(2019 + i % 6, 3, 1)}
            for i, (s, e, k) in enumerate(sorted(pairs))], "partnerships")

    def users(self, scale: Scale, schools: list[int], enterprises: list[int]) -> None:
        from flask import current_app

        from app.auth import passwords
        from app.auth.models import User, UserRole
        from config import ProductionConfig

        # Hashed once with the production parameters and shared by every generated account.
        current_app.config.update(ARGON2_TIME_COST=ProductionConfig.ARGON2_TIME_COST,
                                  ARGON2_MEMORY_COST=ProductionConfig.ARGON2_MEMORY_COST,
                                  ARGON2_PARALLELISM=ProductionConfig.ARGON2_PARALLELISM)
        shared_hash = passwords.hash_password(BENCH_PASSWORD)
        users, roles, next_id = [], [], self._next_id(User)

        def add(username: str, role_list, *, school_id=None, enterprise_id=None, active=True, activated=True):
            uid = next_id + len(users)
            users.append({
                "id": uid, "username": username, "full_name": _name(self.rng),
                "email": f"{username}@example.edu.cn", "phone": None, "school_id": school_id,
                "enterprise_id": enterprise_id, "password_hash": shared_hash if activated else None,
                "is_active": active, "created_at": self.now - timedelta(days=self.rng.randrange(0, 900)),
                "last_login_at": None, "version": 1})
            roles.extend({"user_id": uid, "role": r} for r in role_list)

        add(BENCH_ADMIN, ["platform_admin"])
        add(BENCH_SCHOOL_ADMIN, ["school_admin", "teacher"], school_id=schools[0])
        for n, sid in enumerate(schools):
            add(f"sa{n:04d}", ["school_admin"], school_id=sid)
        for n in range(scale.teachers):
            add(f"t{n:06d}", ["teacher"], school_id=schools[n % len(schools)])
        for n in range(scale.students):
            # 2% deactivated, 5% imported and not yet activated: the list shows those badges too.
            add(f"s{n:07d}", ["student"], school_id=schools[n % len(schools)], active=n % 50 != 7,
                activated=n % 20 != 3)
        for n in range(scale.mentors):
            add(f"m{n:05d}", ["mentor"], enterprise_id=enterprises[n % len(enterprises)])
        for n in range(scale.reviewers):
            # A quarter of the reviewers are also teachers at a school.
            add(f"r{n:04d}", ["reviewer", "teacher"] if n % 4 == 0 else ["reviewer"],
                school_id=schools[n % len(schools)] if n % 4 == 0 else None)
        self._insert(User, users, "users")
        self._insert(UserRole, roles, "user_roles")


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a DATABASE_URL (PostgreSQL URLs use psycopg 3, as the app does)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_generated(url: str) -> bool:
    """Whether ``url`` already holds a generated database (its bench admin exists)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        return False
    engine = create_engine(engine_url(url))
    try:
        with engine.connect() as c:
            return c.execute(text('SELECT 1 FROM "user" WHERE username = :u'), {"u": BENCH_ADMIN}).first() is not None
    except SQLAlchemyError:  # no user table yet: an empty database
        return False
    finally:
        engine.dispose()


def ensure(url: str, scale_name: str, log=print) -> str:
    """Generate ``url`` at ``scale_name`` unless it already holds a generated database."""
    if not is_generated(url):
        log(f"generating the {scale_name} database into {url} ...")
        generate(url, SCALES[scale_name], log=log)
    else:
        # A database generated by an older checkout lacks the tables of newer migrations: bring it up to date
        # (nothing to do when it already is), as `flask db upgrade` does for a deployment.
        from flask_migrate import upgrade

        from app.extensions import db

        with _make_app(url).app_context():
            upgrade()
            # Close every connection, so SQLite checkpoints its WAL into the file that scenarios copy.
            db.engine.dispose()
    return url


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"),
                        help="target database (default: DATABASE_URL, else bench/out/<scale name>.db)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    url = args.url or default_url("national" if args.scale == "full" else args.scale)
    try:
        generate(url, SCALES[args.scale], seed=args.seed)
    except NotEmpty as exc:
        print(f"bench.generate: {exc}", file=sys.stderr)
        return 2
    print(f"done: {url}\nlog in as {BENCH_ADMIN} / {BENCH_PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
