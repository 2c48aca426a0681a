"""Generated document images shared by the scanner's unit tests (made once per session: rendering takes a moment)."""
from __future__ import annotations

from pathlib import Path

import pytest

from simulators.devices import render_document_photo

BIRTH_CERT = ("GIẤY KHAI SINH", ["Họ, chữ đệm và tên: Nguyễn Văn An", "Ngày, tháng, năm sinh: 01/01/1990",
                                 "Nơi sinh: Trạm y tế xã Bình Phú, huyện Thăng Bình, tỉnh Quảng Nam",
                                 "Dân tộc: Kinh     Quốc tịch: Việt Nam"])


@pytest.fixture(scope="session")
def document_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_document_photo(tmp_path_factory.mktemp("docs") / "khai-sinh.jpg", *BIRTH_CERT, seed=3)


@pytest.fixture(scope="session")
def blank_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_document_photo(tmp_path_factory.mktemp("docs") / "blank.jpg", "", [], seed=4)
