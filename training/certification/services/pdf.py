"""The printable certificate: one A4 landscape page drawn with reportlab's canvas. Chinese text uses the CID font
STSong-Light, which every PDF reader carries, so no font file ships with the app; the QR code is reportlab's
vector QR widget (no image files). A revoked certificate is never printed (``Conflict``)."""

from __future__ import annotations

import io
from datetime import datetime
from math import cos, pi, sin

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from training.certification.models import Certificate
from training.certification.services.verification import grouped_code
from training.core.errors import Conflict

FONT = "STSong-Light"
PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)  # points
RED = HexColor("#8b1a1a")
GOLD = HexColor("#b08d3c")
INK = HexColor("#1f2328")
MUTED = HexColor("#5b636e")
QR_SIZE = 34 * mm
#: Characters that never open a line in Chinese typesetting (避头点).
NO_LINE_START = frozenset("。，、；：？！）》」』”’.,;:?!)")

pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate as a one-page PDF (A4 landscape): title, holder, department and programme as issued,
    issue and expiry dates, number, verification code and a QR code of ``verify_url``. Raises ``Conflict`` for
    a revoked certificate: it must not circulate as a valid-looking document."""
    if certificate.revoked_at is not None:
        raise Conflict(_("该证书已撤销，不能下载打印。"))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
    canvas.setTitle(_("电子政务应用能力培训证书 %(number)s", number=certificate.number or ""))
    canvas.setAuthor(_("电子政务学院"))
    canvas.setSubject(certificate.program_name)
    _draw_frame(canvas)
    _draw_heading(canvas)
    _draw_body(canvas, certificate)
    _draw_particulars(canvas, certificate)
    _draw_qr(canvas, verify_url)
    _draw_seal(canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_frame(canvas: Canvas) -> None:
    """A double border in red with a thin gold rule inside, and corner ornaments."""
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(4)
    canvas.rect(12 * mm, 12 * mm, PAGE_WIDTH - 24 * mm, PAGE_HEIGHT - 24 * mm)
    canvas.setLineWidth(1)
    canvas.rect(15 * mm, 15 * mm, PAGE_WIDTH - 30 * mm, PAGE_HEIGHT - 30 * mm)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.6)
    canvas.rect(18 * mm, 18 * mm, PAGE_WIDTH - 36 * mm, PAGE_HEIGHT - 36 * mm)
    canvas.setFillColor(RED)
    for x in (18 * mm, PAGE_WIDTH - 18 * mm):
        for y in (18 * mm, PAGE_HEIGHT - 18 * mm):
            path = canvas.beginPath()
            path.moveTo(x, y + 4 * mm)
            path.lineTo(x + 4 * mm, y)
            path.lineTo(x, y - 4 * mm)
            path.lineTo(x - 4 * mm, y)
            path.close()
            canvas.drawPath(path, stroke=0, fill=1)


def _draw_heading(canvas: Canvas) -> None:
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 13)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 36 * mm, _("电子政务学院"))
    canvas.setFillColor(RED)
    _centred_fitting(canvas, _("电子政务应用能力培训证书"), PAGE_HEIGHT - 52 * mm, size=32, min_size=20)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(1)
    canvas.line(PAGE_WIDTH / 2 - 60 * mm, PAGE_HEIGHT - 57 * mm, PAGE_WIDTH / 2 + 60 * mm, PAGE_HEIGHT - 57 * mm)


def _draw_body(canvas: Canvas, certificate: Certificate) -> None:
    """兹证明 — the holder's name large, the department as issued, then the statement with the programme."""
    top = PAGE_HEIGHT - 74 * mm
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 15)
    canvas.drawString(40 * mm, top, _("兹证明"))
    _centred_fitting(canvas, certificate.holder_name, top - 14 * mm, size=28, min_size=18)
    canvas.setFillColor(MUTED)
    y = _centred_wrapped(canvas, certificate.department_name, top - 23 * mm, size=13, width=PAGE_WIDTH - 90 * mm)
    canvas.setFillColor(INK)
    statement = _("完成《%(program)s》规定的课程学习、学时要求与考核，成绩合格，特发此证。",
                  program=certificate.program_name)
    _centred_wrapped(canvas, statement, y - 11 * mm, size=15, width=PAGE_WIDTH - 80 * mm)


def _draw_particulars(canvas: Canvas, certificate: Certificate) -> None:
    """Number, dates and verification code as a two-column list in the lower left."""
    rows = (
        (_("证书编号"), certificate.number or ""),
        (_("发证日期"), chinese_date(certificate.issued_at)),
        (_("有效期至"), chinese_date(certificate.expires_at)),
        (_("验证码"), grouped_code(certificate.verification_code)),
    )
    x_label, x_value, y = 40 * mm, 66 * mm, 58 * mm
    for label, value in rows:
        canvas.setFillColor(MUTED)
        canvas.setFont(FONT, 11)
        canvas.drawString(x_label, y, label)
        canvas.setFillColor(INK)
        canvas.setFont(FONT, 12)
        canvas.drawString(x_value, y, value)
        y -= 8 * mm


def _draw_qr(canvas: Canvas, verify_url: str) -> None:
    """The QR code of the verification page (error correction M, quiet zone kept), with a caption."""
    widget = QrCodeWidget(verify_url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    x, y = PAGE_WIDTH - 40 * mm - QR_SIZE, 34 * mm
    renderPDF.draw(drawing, canvas, x, y)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(x + QR_SIZE / 2, y - 4 * mm, _("扫码核验证书真伪"))


def _draw_seal(canvas: Canvas) -> None:
    """The academy's mark: a red ring with a star and the issuer's name (a drawing, not an official seal)."""
    cx, cy, r = PAGE_WIDTH / 2 + 25 * mm, 48 * mm, 19 * mm
    canvas.setStrokeColor(RED)
    canvas.setFillColor(RED)
    canvas.setLineWidth(2)
    canvas.circle(cx, cy, r, stroke=1, fill=0)
    canvas.setLineWidth(0.6)
    canvas.circle(cx, cy, r - 2 * mm, stroke=1, fill=0)
    _star(canvas, cx, cy + 4 * mm, 5 * mm)
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(cx, cy - 6 * mm, _("电子政务学院"))
    canvas.drawCentredString(cx, cy - 10 * mm, _("培训认证"))


def _star(canvas: Canvas, cx: float, cy: float, radius: float) -> None:
    path = canvas.beginPath()
    path.moveTo(cx, cy + radius)
    for i in range(1, 10):
        length = radius if i % 2 == 0 else radius * 0.4
        angle = pi / 2 + i * pi / 5
        path.lineTo(cx + length * cos(angle), cy + length * sin(angle))
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _centred_fitting(canvas: Canvas, text: str, y: float, *, size: float, min_size: float) -> None:
    """One centred line, shrunk from ``size`` down to ``min_size`` points to fit the frame."""
    width = PAGE_WIDTH - 70 * mm
    while size > min_size and pdfmetrics.stringWidth(text, FONT, size) > width:
        size -= 1
    canvas.setFont(FONT, size)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, text)


def _centred_wrapped(canvas: Canvas, text: str, y: float, *, size: float, width: float, max_lines: int = 2) -> float:
    """Centred lines of at most ``width`` points, shrinking the font (down to 9 points) to keep to
    ``max_lines``; returns the last line's baseline."""
    lines = _wrap(text, size, width)
    while len(lines) > max_lines and size > 9:
        size -= 1
        lines = _wrap(text, size, width)
    canvas.setFont(FONT, size)
    for number, line in enumerate(lines):
        canvas.drawCentredString(PAGE_WIDTH / 2, y - number * size * 1.5, line)
    return y - (len(lines) - 1) * size * 1.5


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Lines broken between characters (Chinese has no spaces); closing punctuation hangs at the end of a line
    rather than opening the next (避头点)."""
    lines, line = [], ""
    for char in text:
        if line and char not in NO_LINE_START and pdfmetrics.stringWidth(line + char, FONT, size) > width:
            lines.append(line)
            line = ""
        line += char
    lines.append(line)
    return lines


def chinese_date(moment: datetime) -> str:
    """A stored (naive UTC) time as a long date in the reader's language and time zone: 2026年5月1日."""
    return format_date(moment, "long")
