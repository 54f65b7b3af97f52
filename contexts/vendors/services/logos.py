"""Store logos: checked on their bytes (type sniffed by Pillow, size, pixel count)
before anything is stored. SVG is refused (it can carry scripts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from bazaar_platform.api.errors import ApplicationError

ALLOWED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


class InvalidLogoError(ApplicationError):
    status_code = 400
    code = "invalid_logo"

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={"logo": [message]})


class LogoTooLargeError(ApplicationError):
    status_code = 413
    code = "logo_too_large"

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={"logo": [message]})


@dataclass(frozen=True)
class CheckedLogo:
    extension: str
    width: int
    height: int


def logo_check(file: IO[bytes], *, size: int | None) -> CheckedLogo:
    """Validate an uploaded logo; the file is left at position 0."""
    max_bytes = settings.VENDORS_LOGO_MAX_BYTES
    if size is None or size <= 0:
        raise InvalidLogoError("The logo file is empty.")
    if size > max_bytes:
        raise LogoTooLargeError(f"The logo is {size} bytes; the largest accepted is {max_bytes}.")
    file.seek(0)
    try:
        with Image.open(file) as image:
            fmt = image.format or ""
            width, height = image.size
            if fmt not in ALLOWED_FORMATS:
                raise InvalidLogoError(
                    f"Logos must be PNG, JPEG or WebP images, not {fmt or 'this file type'}."
                )
            if width * height > settings.VENDORS_LOGO_MAX_PIXELS:
                raise LogoTooLargeError(
                    f"The logo is {width}x{height} pixels; at most "
                    f"{settings.VENDORS_LOGO_MAX_PIXELS} pixels are accepted."
                )
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise InvalidLogoError("The file is not a readable PNG, JPEG or WebP image.") from None
    finally:
        file.seek(0)
    return CheckedLogo(extension=ALLOWED_FORMATS[fmt], width=width, height=height)
