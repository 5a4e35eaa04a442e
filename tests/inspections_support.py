"""Small helpers shared by the tests/test_inspections_*.py modules."""
from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaign.models import SourceLevel
from inspections.models import Inspection, InspectionKind


def png(name: str = "现场.png", color: str = "red", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    """A real PNG upload (uploads are checked by content)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def inspection(world, *, date: dt.date = dt.date(2026, 10, 12), level: str = SourceLevel.CITY, title: str = "10月市级现场考核") -> Inspection:
    obj = Inspection.objects.create(
        campaign=world.campaign, kind=InspectionKind.ON_SITE, source_level=level, date=date, title=title,
        created_by=world.inspector,
    )
    obj.inspectors.add(world.inspector)
    return obj
