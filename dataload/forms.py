"""The upload form of the Excel import page (kept apart from the task forms)."""
from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms

from campaign import uploads, workbook

from .imports import KINDS


class ImportForm(forms.Form):
    """Which kind of table, which sheet (optional) and the .xlsx file; the bytes end up in ``data``."""

    kind = forms.ChoiceField(label="数据类型", choices=[(key, kind.label) for key, kind in KINDS.items()])
    sheet = forms.CharField(label="工作表名称", required=False, max_length=31, help_text="留空则读取第一个工作表。")
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data_bytes = b""
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("kind"), Field("sheet"), Field("file"),
            Submit("action", "上传并预览", css_class="btn-danger"),
        )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # The size cap is checked while reading, before the whole file is in memory.
        self.data_bytes = uploads.read_upload(upload, max_bytes=workbook.max_bytes())
        return upload
