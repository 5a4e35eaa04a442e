"""Password rules that Django does not ship: character classes (等保 password complexity)."""
from __future__ import annotations

import string
from typing import Any

from django.contrib.auth.password_validation import MinimumLengthValidator as _DjangoMinimumLengthValidator
from django.core.exceptions import ValidationError

# The four classes the 等保 reviews name: upper case, lower case, digits, symbols.
CLASS_LABELS = ("大写字母", "小写字母", "数字", "特殊符号")


def character_classes(password: str) -> set[str]:
    """The character classes present in ``password`` (anything not a letter or digit is a symbol)."""
    found: set[str] = set()
    for char in password:
        if char in string.ascii_uppercase:
            found.add("大写字母")
        elif char in string.ascii_lowercase:
            found.add("小写字母")
        elif char.isdigit():
            found.add("数字")
        else:
            found.add("特殊符号")
    return found


class CharacterClassesValidator:
    """At least ``min_classes`` of the four classes: upper case, lower case, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        found = character_classes(password)
        if len(found) < self.min_classes:
            missing = "、".join(label for label in CLASS_LABELS if label not in found)
            raise ValidationError(
                "密码过于简单：必须至少包含大写字母、小写字母、数字、特殊符号中的 %(min)d 类，"
                "当前只有 %(count)d 类（缺少：%(missing)s）。",
                code="password_too_few_classes",
                params={"min": self.min_classes, "count": len(found), "missing": missing},
            )

    def get_help_text(self) -> str:
        return f"密码必须至少包含大写字母、小写字母、数字、特殊符号中的 {self.min_classes} 类。"


class MinimumLengthValidator(_DjangoMinimumLengthValidator):
    """Django's length rule with a Chinese message (Django 5.2's zh-hans catalogue lacks this one)."""

    def get_error_message(self) -> str:
        return f"密码长度太短：至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"
