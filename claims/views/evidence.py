"""R102: evidence files are served only to the shop's merchants and to insurer staff."""

import io

from django.http import FileResponse, HttpResponse
from django.views.decorators.http import require_GET
from PIL import Image

from claims.models import Evidence
from enrollment.scoping import private_file_owner_or_404, private_file_response

THUMBNAIL = (240, 240)


@require_GET
def evidence_file(request, pk: int):
    evidence = private_file_owner_or_404(
        request, Evidence, staff_permission="claims.view_evidence", pk=pk
    )
    if request.GET.get("size") == "thumb":
        with evidence.file.open("rb") as handle, Image.open(handle) as image:
            image.thumbnail(THUMBNAIL)
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=80)
        return private_file_response(HttpResponse(buffer.getvalue(), content_type="image/jpeg"))
    response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="evidence-{evidence.pk}.{evidence.extension}"'
    )
    return private_file_response(response)
