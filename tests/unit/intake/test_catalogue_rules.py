"""Catalogue loading errors, prefill and form validation (pure logic)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from shared.catalogue import CatalogueError, load_catalogue, load_procedure, prefill, validate_form
from shared.messages import Citizen
from shared.settings import REPO_ROOT

KHAI_SINH = REPO_ROOT / "data" / "procedures" / "01-dang-ky-khai-sinh.json"
CITIZEN = Citizen(id_number="049092012345", full_name="Nguyễn Văn An", date_of_birth=date(1990, 1, 1), sex="Nam",
                  address="Thôn Lý Trường, xã Bình Phú", phone="0905123456")


def _write(tmp_path: Path, name: str, data: object | str) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _khai_sinh() -> dict:
    return json.loads(KHAI_SINH.read_text(encoding="utf-8"))


def test_bad_json_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    """A syntax error names the file and the line."""
    _write(tmp_path, "01-x.json", '{\n  "code": "x",\n  oops\n}')
    with pytest.raises(CatalogueError, match=r"01-x\.json: line 3 column 3: invalid JSON"):
        load_catalogue(tmp_path)


def test_invalid_field_is_refused_naming_file_field_and_reason(tmp_path: Path) -> None:
    """A wrong value names the file, the path of the field and why."""
    data = _khai_sinh()
    data["documents"][0]["kind"] = "photocopy"
    _write(tmp_path, "02-bad.json", data)
    with pytest.raises(CatalogueError, match=r"02-bad\.json: field documents\.0\.kind: Input should be"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda d: d["fields"].append(dict(d["fields"][0])), "duplicate field keys: nguoi_yeu_cau"),
    (lambda d: d.update(unexpected=1), "unexpected: Extra inputs are not permitted"),
    (lambda d: d["fields"][1].update(options=[]), "a choice field needs options"),
    (lambda d: d.update(documents=[]), "documents: List should have at least 1 item"),
    (lambda d: d.update(fee_vnd=-1), "fee_vnd: Input should be greater than or equal to 0"),
])
def test_broken_procedures_are_refused_with_the_reason(tmp_path: Path, change, reason: str) -> None:
    """Duplicate keys, unknown properties, optionless choices, no documents, negative fees are refused."""
    data = _khai_sinh()
    change(data)
    with pytest.raises(CatalogueError, match=reason):
        load_procedure(_write(tmp_path, "p.json", data))


def test_duplicate_json_keys_and_duplicate_codes_are_refused(tmp_path: Path) -> None:
    """A key written twice in one file, or one code used by two files, is refused."""
    _write(tmp_path, "dup.json", '{"code": "a", "code": "b"}')
    with pytest.raises(CatalogueError, match="dup.json: duplicate JSON keys: code"):
        load_procedure(tmp_path / "dup.json")
    (tmp_path / "dup.json").unlink()
    _write(tmp_path, "01.json", _khai_sinh())
    _write(tmp_path, "02.json", _khai_sinh())
    with pytest.raises(CatalogueError, match="02.json: procedure code 'dang-ky-khai-sinh' is already used"):
        load_catalogue(tmp_path)


def test_empty_directory_is_refused(tmp_path: Path) -> None:
    """A catalogue with no files is an error, not an empty kiosk."""
    with pytest.raises(CatalogueError, match="no procedure files"):
        load_catalogue(tmp_path)


def test_prefill_fills_identity_fields_and_leaves_the_rest_empty() -> None:
    """Fields marked prefill get the citizen's data (dates as dd/mm/yyyy); other fields are empty strings."""
    proc = load_catalogue(REPO_ROOT / "data" / "procedures")["xac-nhan-tinh-trang-hon-nhan"]
    form = prefill(proc, CITIZEN)
    assert form["ho_ten"] == "Nguyễn Văn An"
    assert form["ngay_sinh"] == "01/01/1990"
    assert form["gioi_tinh"] == "Nam"
    assert form["so_dinh_danh"] == "049092012345"
    assert form["noi_cu_tru"] == "Thôn Lý Trường, xã Bình Phú"
    assert form["tinh_trang"] == "" and set(form) == {f.key for f in proc.fields}


def _good_form() -> dict[str, str]:
    return {"nguoi_yeu_cau": "  Nguyễn Văn An ", "quan_he": "Cha", "ho_ten_tre": "Nguyễn Văn Bình",
            "ngay_sinh_tre": "5/1/2025", "gioi_tinh_tre": "Nam", "noi_sinh": "Trạm y tế xã Bình Phú",
            "ho_ten_me": "Trần Thị Cúc", "ho_ten_cha": "", "extra": "dropped"}


def test_valid_form_is_cleaned_nfc_stripped_and_typed() -> None:
    """A valid form gives clean values: NFC, stripped, dates typed, empty optional and unknown keys left out."""
    proc = load_procedure(KHAI_SINH)
    decomposed = "Nguye\u0302\u0303n Văn Bình"  # the same name typed with combining marks
    clean, errors = validate_form(proc, {**_good_form(), "ho_ten_tre": decomposed})
    assert errors == {}
    assert clean["nguoi_yeu_cau"] == "Nguyễn Văn An"
    assert clean["ho_ten_tre"] == "Nguyễn Văn Bình"
    assert clean["ngay_sinh_tre"] == date(2025, 1, 5)
    assert "ho_ten_cha" not in clean and "extra" not in clean


def test_invalid_form_gives_vietnamese_messages_per_field() -> None:
    """Missing, too long, bad date, unknown choice each get their own Vietnamese message."""
    proc = load_procedure(KHAI_SINH)
    form = {**_good_form(), "ho_ten_me": "", "ho_ten_tre": "A" * 101, "ngay_sinh_tre": "31/02/2025",
            "gioi_tinh_tre": "Khác", "quan_he": ""}
    _, errors = validate_form(proc, form)
    assert errors == {
        "ho_ten_me": "Vui lòng nhập Họ tên mẹ.",
        "ho_ten_tre": "Họ, chữ đệm và tên của trẻ dài quá 100 ký tự.",
        "ngay_sinh_tre": "Ngày sinh của trẻ không phải là một ngày có thật.",
        "gioi_tinh_tre": "Vui lòng chọn Giới tính của trẻ trong các mục: Nam, Nữ.",
        "quan_he": "Vui lòng chọn Quan hệ với trẻ.",
    }
    _, errors = validate_form(proc, {**_good_form(), "ngay_sinh_tre": "2025-01-05", "noi_sinh": "a\x00b"})
    assert errors["ngay_sinh_tre"] == "Ngày sinh của trẻ phải có dạng ngày/tháng/năm, ví dụ 05/01/2024."
    assert errors["noi_sinh"] == "Nơi sinh có ký tự không hợp lệ."


def test_id_number_phone_and_number_fields_are_checked() -> None:
    """ID numbers need 12 digits, phones 0 + 9 digits (spaces and +84 accepted), numbers digits only."""
    proc = load_catalogue(REPO_ROOT / "data" / "procedures")["chung-thuc-chu-ky"]
    base = {"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "049092012345", "ten_giay_to": "Giấy ủy quyền", "so_ban": "2"}
    clean, errors = validate_form(proc, {**base, "so_dien_thoai": "+84 905 123 456"})
    assert errors == {} and clean["so_dien_thoai"] == "0905123456" and clean["so_ban"] == 2
    _, errors = validate_form(proc, {**base, "so_dinh_danh": "04909201234", "so_ban": "hai", "so_dien_thoai": "12345"})
    assert errors == {
        "so_dinh_danh": "Số định danh cá nhân phải gồm đúng 12 chữ số.",
        "so_ban": "Số bản cần chứng thực phải là một số.",
        "so_dien_thoai": "Số điện thoại liên hệ phải gồm 10 chữ số, bắt đầu bằng số 0.",
    }
