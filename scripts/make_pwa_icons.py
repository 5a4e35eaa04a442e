"""Draw the installable app's icons (static/pwa/icon-*.png): 创文 in white on the campaign red.

Run once after changing the design: .venv/bin/python scripts/make_pwa_icons.py
Needs the Noto CJK fonts (fonts-noto-cjk), which the PDF reports use too.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "static" / "pwa"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
RED, GOLD, WHITE = (176, 42, 55), (255, 214, 102), (255, 255, 255)


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    img = Image.new("RGB", (size, size), RED)
    d = ImageDraw.Draw(img)
    # A maskable icon keeps its drawing inside the central 80 % safe zone.
    inner = size * (0.62 if maskable else 0.78)
    font = ImageFont.truetype(FONT, int(inner / 2), index=0)
    text = "创文"
    box = d.textbbox((0, 0), text, font=font)
    w, h = box[2] - box[0], box[3] - box[1]
    y = (size - h) / 2 - box[1] - size * 0.06
    d.text(((size - w) / 2 - box[0], y), text, font=font, fill=WHITE)
    small = ImageFont.truetype(FONT, int(inner / 6.5), index=0)
    sub = "督查"
    sb = d.textbbox((0, 0), sub, font=small)
    d.text(((size - (sb[2] - sb[0])) / 2 - sb[0], y + box[3] + size * 0.04), sub, font=small, fill=GOLD)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192).save(OUT / "icon-192.png", optimize=True)
    draw(512).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-512-maskable.png", optimize=True)


if __name__ == "__main__":
    main()
