"""Do Chinese glyphs render in a browser page, or empty boxes (tofu)?

A machine without a CJK font draws every Chinese character as the same notdef box (or nothing).
The probe draws characters on a canvas in the page's own font and compares the pixels: real
glyphs differ from each other and from the notdef of an unassigned code point (U+0378).
"""

from __future__ import annotations

from typing import Any

PROBE = """
([chars, selector]) => {
  const el = document.querySelector(selector) || document.body;
  const family = getComputedStyle(el).fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (s) => {
    g.clearRect(0, 0, 48, 48);
    g.font = `36px ${family}`;
    g.fillStyle = '#000';
    g.fillText(s, 4, 38);
    const px = g.getImageData(0, 0, 48, 48).data;
    let ink = 0, sig = 0;
    for (let i = 3; i < px.length; i += 4) {
      ink += px[i] > 0 ? 1 : 0;
      sig = (sig * 31 + px[i]) >>> 0;
    }
    return {ink, sig, width: g.measureText(s).width};
  };
  return {family, notdef: draw('\\u0378'), glyphs: chars.map(draw)};
}
"""


def glyph_report(page: Any, chars: str = "未打卡迟到", selector: str = "body") -> dict[str, Any]:
    """Draw `chars` in the font of `selector`; their pixels and the notdef's."""
    return dict(page.evaluate(PROBE, [list(chars), selector]))


def renders_chinese(report: dict[str, Any]) -> bool:
    """True when every probed character has ink and a glyph of its own (no tofu)."""
    glyphs, notdef = report["glyphs"], report["notdef"]
    inked = all(g["ink"] > 20 for g in glyphs)
    distinct = len({g["sig"] for g in glyphs}) == len(glyphs)
    return inked and distinct and all(g["sig"] != notdef["sig"] for g in glyphs)


def assert_chinese_renders(page: Any, selector: str = "body") -> None:
    """Fail when the page's font draws Chinese as tofu (no CJK font installed)."""
    report = glyph_report(page, selector=selector)
    assert renders_chinese(report), (
        f"Chinese renders as empty boxes in {report['family']!r}: install a CJK font "
        f"(fonts-noto-cjk; scripts/setup.sh does): {report}"
    )
