"""R102: evidence files are served only to the shop's merchants and to insurer staff."""

import io

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET
from PIL import Image

from claims.models import Evidence
from portal.merchant import merchant_shop

THUMBNAIL = (240, 240)


def _evidence_for(request, pk: int) -> Evidence:
    user = request.user
    if not user.is_authenticated:
        raise Http404
    if user.is_staff and user.has_perm("claims.view_evidence"):
        return get_object_or_404(Evidence, pk=pk)
    shop = merchant_shop(user)
    if shop is None:
        raise Http404
    return get_object_or_404(Evidence, pk=pk, shop=shop)  # R100: another shop's file is a 404


def _private(response):
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_GET
def evidence_file(request, pk: int):
    evidence = _evidence_for(request, pk)
    if request.GET.get("size") == "thumb":
        with evidence.file.open("rb") as handle, Image.open(handle) as image:
            image.thumbnail(THUMBNAIL)
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=80)
        return _private(HttpResponse(buffer.getvalue(), content_type="image/jpeg"))
    response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="evidence-{evidence.pk}.{evidence.extension}"'
    )
    return _private(response)
