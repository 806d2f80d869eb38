"""Django templates against Jinja2 on the hot merchant lists, in-process (issue 10).

For each list, one request's context (the view's own form, selector and keyset page, the
big shop of the 1M-policy dataset, read once) is rendered as Django templates (the list
templates as they were at --django-revision, read from git, with the filter form through
Django's default form renderer) and as the view renders it now (Jinja2, portal/jinja2.py,
its form through Django's Jinja2 widget templates): the same context each time,
interleaved, `--runs` times. Prints the medians, the Django-rendered form's share, and
whether the pages are the same once whitespace between tags, the csrf token's mask and
the spelling of entities are set aside.

    .venv/bin/python bench/render.py [--runs 300] [--language en] [--database-url ...]
"""

import argparse
import html
import re
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LISTS = {
    "policy list, page 1": ("/policies/", "claims/policy_list.html"),
    "policies ?status=claim_paid": ("/policies/?status=claim_paid", "claims/policy_list.html"),
    "refunds, all": ("/refunds/", "claims/refund_list.html"),
    "refunds, 质保卡 only": ("/refunds/?business=warranty", "claims/refund_list.html"),
    "refunds, to confirm": ("/refunds/?due=needs_action", "claims/refund_list.html"),
    "payouts": ("/payouts/", "claims/payout_list.html"),
}


def setup(database_url: str) -> None:
    """bench/pages.py's production environment (static files collected to a temp dir)."""
    import tempfile

    from bench.latency.server import bench_env, collectstatic, setup_django

    tmp = tempfile.mkdtemp(prefix="warranty-render-")
    env = bench_env(database_url, str(Path(tmp) / "media"), str(Path(tmp) / "static"))
    collectstatic(env)
    setup_django(env)


def request_for(path: str, merchant_login: str):
    """A request as the view sees it: user, shop, session, messages, resolver match."""
    from django.contrib.auth import get_user_model
    from django.contrib.messages.storage import default_storage
    from django.contrib.sessions.backends.cache import SessionStore
    from django.test import RequestFactory
    from django.urls import resolve

    from enrollment.scoping import merchant_shop

    request = RequestFactory(HTTP_HOST="127.0.0.1").get(path)
    request.user = get_user_model().objects.get(username=merchant_login)
    request.shop = merchant_shop(request.user)
    request.session = SessionStore()
    request._messages = default_storage(request)
    request.resolver_match = resolve(request.path)
    return request


def context_for(request) -> dict:
    """The context the list view renders (claims.views.merchant)."""
    from django.utils import timezone

    from claims.views import merchant as views
    from portal.pagination import keyset_page, ordering_key

    if request.path.startswith("/policies/"):
        form, rows = views._policies(request)
        page = keyset_page(rows, request.GET, key="issued_at")
        now = timezone.now()
        for policy in page:
            policy.current_status = policy.status(now)
        return {"form": form, "page": page}
    if request.path.startswith("/payouts/"):
        from claims import selectors
        from claims.forms import payout_filters

        form, filters = payout_filters(request.GET)  # issue 11: the list has filters now
        payouts = selectors.payouts_for_shop(shop=request.shop, **filters)
        page = keyset_page(payouts, request.GET, key="paid_at")
        months = selectors.payout_months(shop=request.shop)
        return {"page": page, "months": months, "form": form}
    form, rows = views._refunds(request)
    page = keyset_page(rows, request.GET, key=ordering_key(rows))
    return {"form": form, "page": page, "now": timezone.now()}


DJANGO_TEMPLATES = (
    "base.html",
    "claims/policy_list.html",
    "claims/refund_list.html",
    "claims/payout_list.html",
    "claims/_filters.html",
    "claims/_pagination.html",
    "claims/_policy_status.html",
)


def django_engine(revision: str):
    """The Django templates of the lists as they were at `revision` (git), in an engine
    configured like settings.TEMPLATES[0]: the pages rendered before they moved to Jinja2."""
    import subprocess

    from django.template import Engine, engines

    sources = {
        name: subprocess.run(
            ["git", "show", f"{revision}:templates/{name}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for name in DJANGO_TEMPLATES
    }
    configured = engines["django"].engine
    return Engine(
        dirs=configured.dirs,
        context_processors=configured.context_processors,
        libraries=configured.libraries,
        builtins=configured.builtins,
        loaders=[
            (
                "django.template.loaders.cached.Loader",
                [
                    ("django.template.loaders.locmem.Loader", sources),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            )
        ],
    )


def _as_django(engine, template: str, context: dict, request) -> str:
    from django.template import RequestContext

    return engine.get_template(template).render(RequestContext(request, context))


def _as_served(template: str, context: dict, request) -> str:
    """The Jinja2 page as the view renders it: its filter form through Jinja2 widgets."""
    from django.template.loader import render_to_string

    from portal.jinja2 import FORM_RENDERER

    form = context.get("form")
    if form is None:
        return render_to_string(template, context, request, using="jinja2")
    default, form.renderer = form.renderer, FORM_RENDERER
    try:
        return render_to_string(template, context, request, using="jinja2")
    finally:
        form.renderer = default


def _form_html(form) -> list[str]:
    """The filter form's widgets and labels, through Django's default (Django) renderer."""
    return [str(field) + field.label_tag() for field in form or ()]


def _normal(page: str) -> str:
    """The HTML without what may differ and does not show: whitespace between tags, the
    csrf token's per-render mask, the spelling of entities."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", page)
    page = re.sub(r">\s+", ">", re.sub(r"\s+<", "<", page))
    return html.unescape(re.sub(r"\s+", " ", page))


def timed(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/warranty_scale"
    )
    parser.add_argument("--merchant", default="shop001@scale.example")
    parser.add_argument("--language", default="zh-hans")
    parser.add_argument(
        "--django-revision",
        default="ff7d54a",
        help="git revision whose templates/ has the lists as Django templates",
    )
    args = parser.parse_args()
    setup(args.database_url)
    from django.utils import translation

    engine = django_engine(args.django_revision)

    translation.activate(args.language)
    print(f"{args.runs} renders of each, interleaved; medians in ms; language {args.language}")
    print(f"{'list':<30} {'Django':>8} {'Jinja2':>8} {'ratio':>6} {'form':>6}  same page")
    for name, (path, template) in LISTS.items():
        request = request_for(path, args.merchant)
        context = context_for(request)
        django_render = partial(_as_django, engine, template, context, request)
        jinja2_render = partial(_as_served, template, context, request)
        form_render = partial(_form_html, context.get("form"))
        django_ms, jinja2_ms, form_ms = [], [], []
        for _ in range(10):  # interleaved blocks, so that both see the same machine
            django_ms.append(timed(django_render, args.runs // 10))
            jinja2_ms.append(timed(jinja2_render, args.runs // 10))
            form_ms.append(timed(form_render, args.runs // 10))
        same = "yes" if _normal(django_render()) == _normal(jinja2_render()) else "NO"
        d, j = statistics.median(django_ms), statistics.median(jinja2_ms)
        f = statistics.median(form_ms)
        print(f"{name:<30} {d:8.2f} {j:8.2f} {d / j:5.1f}x {f:6.2f}  {same}", flush=True)
        if same == "NO":
            out = Path("/tmp") / f"render-{template.replace('/', '_')}"
            out.with_suffix(".django").write_text(_normal(django_render()))
            out.with_suffix(".jinja2").write_text(_normal(jinja2_render()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
