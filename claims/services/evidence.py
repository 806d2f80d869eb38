"""R85: evidence images are decoded and verified, never trusted by name; stored through
Django's storage API in private paths (R102)."""

import hashlib
import io
import logging
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

from claims.models import Evidence

logger = logging.getLogger(__name__)

MAX_FILES = 9
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decoded image larger than this is refused (decompression bombs)
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def verify_image(data: bytes, *, name: str) -> tuple[str, int, int]:
    """Decode the whole image; return (content type, width, height) or raise ValidationError."""
    if not data:
        raise ValidationError(f"evidence {name!r} is empty", code="evidence")
    if len(data) > MAX_BYTES:
        raise ValidationError(
            f"evidence {name!r} is {len(data)} bytes; the limit is 5 MB", code="evidence"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt, (width, height) = image.format, image.size
                if fmt not in FORMATS:
                    raise ValidationError(
                        f"evidence {name!r} is {fmt or 'not an image'}; JPEG, PNG or WebP only",
                        code="evidence",
                    )
                if width * height > MAX_PIXELS:
                    raise ValidationError(
                        f"evidence {name!r} is {width}x{height} pixels; too large", code="evidence"
                    )
                image.load()  # decodes every pixel: truncated or corrupt files fail here
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise ValidationError(
            f"evidence {name!r} is not a valid JPEG, PNG or WebP image "
            f"({error.__class__.__name__})",
            code="evidence",
        ) from None
    return FORMATS[fmt], width, height


def evidence_check_count(count: int) -> None:
    if count > MAX_FILES:
        raise ValidationError(f"{count} evidence images; at most {MAX_FILES}", code="evidence")


def evidence_store(**build) -> Evidence:
    """Verify (unless `verified` is verify_image's answer already) and store one image:
    evidence_build's row, with its arguments, saved.

    `stored` collects the saved paths, so a caller whose transaction fails can delete them.
    """
    evidence = evidence_build(**build)
    evidence.save()
    return evidence


def evidence_build(
    *,
    data: bytes,
    name: str,
    kind: str,
    shop_id: int,
    stored: list | None = None,
    verified=None,
    **owner,
) -> Evidence:
    """Store the file of one image and return its unsaved row (the event API saves many at
    once). `verified`: verify_image's answer when the caller already has it."""
    content_type, width, height = verified or verify_image(data, name=name)
    evidence = Evidence(
        shop_id=shop_id,
        kind=kind,
        original_name=(name or "image")[:200],
        content_type=content_type,
        width=width,
        height=height,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        **owner,
    )
    evidence.file.save(evidence.original_name, ContentFile(data), save=False)
    if stored is not None:
        stored.append(evidence.file.name)
    return evidence


def evidence_discard(paths: list[str]) -> None:
    """Delete the files `evidence_store` saved for a write that then failed."""
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            logger.warning("could not delete evidence file %s of a failed write", path)
