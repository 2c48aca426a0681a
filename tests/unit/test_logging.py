"""Personal data never reaches a log line."""
from shared.logging import mask_id, mask_name, mask_processor


def test_id_numbers_are_masked_anywhere_in_text() -> None:
    """12-digit ID numbers inside free text keep only their first and last three digits."""
    assert mask_id("citizen 001092012345 logged in") == "citizen 001******345 logged in"


def test_sensitive_fields_are_masked() -> None:
    """Names become initials; OTP codes and QR text become their length only."""
    out = mask_processor(None, "info", {"event": "x", "full_name": "Nguyễn Văn An", "otp": "123456",
                                        "text": "eyJ...", "applicant": {"id_number": "001092012345"}})
    assert out["full_name"] == "N. V. A."
    assert out["otp"] == "<6 chars>"
    assert out["text"] == "<6 chars>"
    assert out["applicant"] == "<redacted>"
    assert mask_name("Lê Thị Ánh Tuyết") == "L. T. Á. T."
