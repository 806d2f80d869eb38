"""In-process figures of the pages, through Django's test Client against the same database
(the same middleware, views and templates as gunicorn; DEBUG stays off): SQL queries per
page, a cProfile of one page, SQL time against the rest, EXPLAIN of each query."""

import os
import statistics
import time

from bench.latency.targets import CSV_NAME, CSV_PATH, LOGINS, Page


def client_for(who: str):
    """A test Client signed in as the page's user ("anonymous": not signed in)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if who != "anonymous":
        client.force_login(get_user_model().objects.get(username=LOGINS[who]))
    return client


def queries_per_page(pages: list[Page], csv: bool = True) -> dict[str, tuple[int, float, list]]:
    """(queries, ms) of each page's second request through the test Client (warm caches).

    The test Client runs the same middleware, views and templates as gunicorn, against the
    same database; CaptureQueriesContext counts every query (DEBUG stays off)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients = {who: client_for(who) for who in ("anonymous", *LOGINS)}
    counts = {}
    csv_page = [Page(CSV_NAME, "merchant", [CSV_PATH])] if csv else []
    for page in [*pages, *csv_page]:
        client = clients[page.who]
        path = page.paths[-1]
        for attempt in range(2):
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
                if response.streaming:
                    for _chunk in response.streaming_content:
                        pass
            ms = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"in-process {path}: {response.status_code}")
            if attempt == 1:
                counts[page.name] = (len(captured.captured_queries), ms, captured.captured_queries)
    return counts


def profile_page(pages: list[Page], name: str) -> None:
    import cProfile
    import pstats

    page = next(p for p in pages if p.name == name)
    client = client_for(page.who)
    client.get(page.paths[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(20):
        client.get(page.paths[i % len(page.paths)])
    profiler.disable()
    if os.environ.get("BENCH_PROFILE_OUT"):  # the whole profile, for pstats or snakeviz
        profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def split_pages(pages: list[Page], runs: int = 30) -> None:
    """In-process, per page: median wall time of a request, of its SQL (as the database
    driver returned it), of its template rendering (the outermost template, Django's or
    Jinja2's backend, SQL run inside it excluded) and the rest (middleware, views, forms),
    over `runs`."""
    from django.db import connection
    from django.template.backends import django as django_backend
    from django.template.backends import jinja2 as jinja2_backend

    sql_seconds, render_seconds = [], []
    depth = [0]

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds.append(time.perf_counter() - start)

    def timed_render(render):
        def wrapper(self, *args, **kwargs):
            if depth[0]:
                return render(self, *args, **kwargs)
            depth[0] += 1
            sql_before, start = sum(sql_seconds), time.perf_counter()
            try:
                return render(self, *args, **kwargs)
            finally:
                depth[0] -= 1
                sql_inside = sum(sql_seconds) - sql_before
                render_seconds.append(time.perf_counter() - start - sql_inside)

        return wrapper

    backends = (django_backend.Template, jinja2_backend.Template)
    originals = [backend.render for backend in backends]
    for backend, render in zip(backends, originals, strict=True):
        backend.render = timed_render(render)
    print(f"{'page':<36} {'total ms':>9} {'SQL ms':>8} {'render ms':>9} {'rest ms':>8}  queries")
    try:
        for page in pages:
            client = client_for(page.who)
            totals, sqls, renders, n = [], [], [], 0
            for i in range(runs + 2):
                path = page.paths[i % len(page.paths)]
                sql_seconds.clear()
                render_seconds.clear()
                start = time.perf_counter()
                with connection.execute_wrapper(timed):
                    client.get(path)
                if i >= 2:
                    totals.append((time.perf_counter() - start) * 1000)
                    sqls.append(sum(sql_seconds) * 1000)
                    renders.append(sum(render_seconds) * 1000)
                    n = len(sql_seconds)
            total, sql = statistics.median(totals), statistics.median(sqls)
            render = statistics.median(renders)
            print(
                f"{page.name:<36} {total:9.1f} {sql:8.1f} {render:9.1f} "
                f"{total - sql - render:8.1f}  {n}",
                flush=True,
            )
    finally:
        for backend, render in zip(backends, originals, strict=True):
            backend.render = render


def explain_pages(pages: list[Page]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every query of each page's first URL (read-only)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page in pages:
        client = client_for(page.who)
        client.get(page.paths[0])
        with CaptureQueriesContext(connection) as captured:
            client.get(page.paths[0])
        print(f"===== {page.name}: {page.paths[0]}")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
            print(f"--- {float(query['time']) * 1000:.1f} ms  {sql[:300]}")
            print("\n".join("    " + line for line in plan))
