"""The procedure data files: every one loads, and together they are a usable kiosk catalogue."""
from __future__ import annotations

import re

import pytest

from shared.catalogue import Procedure, load_catalogue, load_procedure
from shared.settings import REPO_ROOT

DATA = REPO_ROOT / "data" / "procedures"
FILES = sorted(DATA.glob("*.json"))


def test_catalogue_loads_in_file_name_order_with_the_expected_procedures() -> None:
    """The catalogue loads, in file order, and holds the five procedures the issue names plus more."""
    cat = load_catalogue(DATA)
    assert len(cat) >= 6
    assert list(cat) == [load_procedure(f).code for f in FILES]
    national = {p.national_code for p in cat.values()}
    assert {"1.001193", "1.000894", "1.000656", "1.004873", "2.000908"} <= national


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_every_data_file_is_a_usable_kiosk_procedure(path) -> None:
    """Each file is valid, has a required document to scan, a kiosk-sized form and a national code."""
    proc: Procedure = load_procedure(path)
    assert re.fullmatch(r"\d\.\d{6}", proc.national_code)
    assert any(d.required for d in proc.documents)
    assert 4 <= len(proc.fields) <= 8
    assert any(f.prefill == "full_name" for f in proc.fields)
    assert path.read_bytes().decode("utf-8") == path.read_text(encoding="utf-8")
