"""The certificate PDF: Chinese text that a reader extracts (CID font STSong-Light, no font file), a vector QR
code that decodes to the verification address, and no PDF for a revoked certificate."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from tests import factories
from tests.certification.conftest import CODE, make_certificate, revoke_directly
from tests.conftest import login_as
from training.certification.services.pdf import certificate_pdf
from training.core.errors import Conflict


def page_text(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()


def qr_texts(data: bytes) -> list[str]:
    image = pdfium.PdfDocument(data)[0].render(scale=3).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


@pytest.fixture
def holder(org):
    return factories.make_user(org.qc_division, employee_no="Q7788", name="欧阳文明")


@pytest.fixture
def certificate(holder):
    return make_certificate(holder, factories.make_program("EGOV-L1", name="电子政务应用能力（初级）"))


def test_pdf_renders_the_chinese_text(app, certificate):
    with app.test_request_context():
        data = certificate_pdf(certificate, f"http://academy.example/verify/{CODE}")
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert width > height  # A4 landscape
    text = page_text(data)
    for expected in ("电子政务应用能力培训证书", "欧阳文明", "清川市人社局 公务员管理科", "电子政务应用能力（初级）",
                     "EGOV-2026-000001", "ABCD-2345-EFGH", "2026年3月2日", "2029年3月2日", "发证日期", "有效期至"):
        assert expected in text, expected
    assert b"FontFile" not in data  # the CID font is referenced, not embedded


def test_qr_code_decodes_to_the_verification_address(app, certificate):
    url = f"https://academy.example.gov.cn/verify/{CODE}"
    with app.test_request_context():
        data = certificate_pdf(certificate, url)
    assert qr_texts(data) == [url]


def test_long_department_names_wrap_and_stay_complete(app, holder):
    department = "东江省人民政府办公厅电子政务与数据资源管理处（省政务服务和数据管理局数据资源统筹与共享应用科）"
    certificate = make_certificate(holder, factories.make_program("EGOV-L2", name="电子政务应用能力（中级）"),
                                   department_name=department)
    with app.test_request_context():
        text = page_text(certificate_pdf(certificate, f"http://localhost/verify/{CODE}"))
    lines = [line.strip() for line in text.splitlines()]
    assert department not in lines  # broken over two lines, nothing lost
    assert department in "".join(text.split())


def test_a_revoked_certificate_is_not_printed(app, certificate):
    revoke_directly(certificate)
    with app.test_request_context(), pytest.raises(Conflict):
        certificate_pdf(certificate, f"http://localhost/verify/{CODE}")


def test_downloaded_pdf_points_to_this_servers_verification_page(client, holder, certificate):
    login_as(client, holder)
    response = client.get(f"/certificates/{certificate.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=certificate-EGOV-2026-000001.pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert qr_texts(response.data) == [f"http://localhost/verify/{CODE}"]
    assert "欧阳文明" in page_text(response.data)


def test_public_base_url_is_printed_when_configured(app, client, holder, certificate):
    app.config["PUBLIC_BASE_URL"] = "https://px.example.gov.cn/"
    try:
        response = login_as(client, holder).get(f"/certificates/{certificate.id}/pdf")
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    assert qr_texts(response.data) == [f"https://px.example.gov.cn/verify/{CODE}"]


def test_revoked_pdf_download_is_refused(client, holder, certificate):
    revoke_directly(certificate)
    response = login_as(client, holder).get(f"/certificates/{certificate.id}/pdf")
    assert response.status_code == 409 and response.mimetype == "text/html" and "已撤销" in response.text
