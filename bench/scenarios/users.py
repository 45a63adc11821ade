"""``users``: the user list page (/users as platform admin) with 100,000+ users.

Target (issue 2): a constant number of SQL statements whatever the number of users, and at least 40% of
the requests/s of a bare route rendering the same template with static data, measured in the same run.
"""
from __future__ import annotations

from bench import generate, measure
from bench.scenarios import Context, scenario
from bench.server import gunicorn
from bench.table import Table

TARGET_RATIO = 0.40
PATH = "/users"
#: Other uses of the same page, measured once each and compared with the same bare median (no target).
VARIANTS = [
    ("search by name (LIKE)", "/users?q=%E5%BC%A0"),  # q=张: no index can serve a substring search
    ("filter by role", "/users?role=teacher"),
    ("filter by school", "/users?school=500"),
    ("last page (OFFSET)", "/users?page={last_page}"),
]


def _statement_counts(ctx: Context, big_url: str) -> Table:
    small_url = generate.ensure(generate.default_url("small"), "small", log=ctx.log)
    table = Table("users: SQL statements per request of GET /users (in-process, warm, production config)")
    counts = {}
    for name, url in (("small", small_url), ("national", big_url)):
        statements = measure.statements_per_request(url, generate.BENCH_ADMIN, generate.BENCH_PASSWORD, PATH)
        users = _user_count(url)
        counts[name] = len(statements)
        table.add(database=name, users=users, statements=len(statements))
        ctx.extra.setdefault("statements", {})[name] = statements
    table.note(f"small: {small_url}; national: {big_url}")
    table.note("constant: yes" if counts["small"] == counts["national"] else
               f"NOT CONSTANT: {counts['small']} vs {counts['national']}")
    for n, sql in enumerate(ctx.extra["statements"]["national"], 1):
        table.note(f"{n}. {' '.join(sql.split())[:160]}")
    if counts["small"] != counts["national"]:
        raise AssertionError(f"statement count grows with data: {counts}")
    return table


def server_page_size() -> int:
    from config import Config

    return Config.PAGE_SIZE


def _user_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(generate.engine_url(url))
    with engine.connect() as c:
        n = c.execute(text('SELECT count(*) FROM "user"')).scalar()
    engine.dispose()
    return n


@scenario("users", "GET /users as platform admin with 100,000+ users vs the bare route (same template, static data)")
def run(ctx: Context) -> list[Table]:
    url = ctx.database_url or generate.ensure(generate.default_url("national"), "full", log=ctx.log)
    counts = _statement_counts(ctx, url)
    users = _user_count(url)
    with gunicorn(url, workers=ctx.workers, threads=ctx.threads, worker_class=ctx.worker_class) as server:
        cookie = server.login(generate.BENCH_ADMIN, generate.BENCH_PASSWORD)
        table = Table(f"users: GET {PATH} as platform admin, {users:,} users "
                      f"({server.describe()}; wrk -c{ctx.connections} -d{ctx.seconds}s x {ctx.rounds} rounds)")
        result = measure.compare(server, table, label="user list", real=PATH, bare="/_bench/bare/users",
                                 cookie=cookie, ctx=ctx, must_contain="<tbody>")
        last_page = -(-users // server_page_size())
        for label, path in VARIANTS:
            measure.variant(server, table, label=label, path=path.format(last_page=last_page), cookie=cookie,
                            ctx=ctx, bare=result["bare"], must_contain="<tbody>")
    verdict = "meets" if result["ratio"] >= TARGET_RATIO else "MISSES"
    table.note("variants (search, filters, last page) are measured once each; their ratio uses the bare median")
    table.note(f"ratio real/bare = {result['ratio']:.0%} (median req/s {result['real']['rps']:,.0f} vs "
               f"{result['bare']['rps']:,.0f}); target >= {TARGET_RATIO:.0%}: {verdict}")
    table.note(f"CPU ratio = bare CPU ms per request / real CPU ms per request = {result['cpu_ratio']:.0%} "
               f"({result['bare']['cpu']:.1f} vs {result['real']['cpu']:.1f} ms; gunicorn master + workers, "
               "from /proc): the same comparison, less sensitive to other load on the machine")
    ctx.extra["users"] = result
    return [counts, table]
