"""Reading dossier codes typed by citizens or carried by the receipt's QR."""
from services.ui.lookup import code_from_qr, normalise_code


def test_typed_code_forgives_case_and_spaces() -> None:
    """A code typed in lower case with stray spaces is understood."""
    assert normalise_code(" 000.00.19.h47-260105-0001 ") == "000.00.19.H47-260105-0001"


def test_garbage_is_not_a_code() -> None:
    """Text that cannot be a dossier code is refused, not looked up."""
    for text in ("", "hello", "000.00.19.H47-2601-0001", "'; DROP TABLE--", "Nguyễn Văn An"):
        assert normalise_code(text) is None


def test_receipt_qr_url_gives_the_code() -> None:
    """The receipt's QR URL (or a bare code) yields the dossier code; other QR text yields nothing."""
    assert code_from_qr("http://127.0.0.1:8080/tra-cuu/000.00.19.H47-260105-0042") == "000.00.19.H47-260105-0042"
    assert code_from_qr("000.00.19.H47-260105-0042") == "000.00.19.H47-260105-0042"
    assert code_from_qr("eyJhbGciOiJFUzI1NiJ9.e30.sig") is None
