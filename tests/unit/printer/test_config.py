"""Printer settings from KIOSK_PRINTER_* variables."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.printer.config import PrinterSettings
from services.printer.layout import dots_for


def test_defaults_are_the_simulated_printer_on_80mm_paper(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no variables set the printer is simulated, 80 mm (576 dots), network port 9100."""
    for var in ("ADAPTER", "PAPER_MM", "PORT"):
        monkeypatch.delenv(f"KIOSK_PRINTER_{var}", raising=False)
    cfg = PrinterSettings()
    assert (cfg.adapter, cfg.paper_mm, cfg.port, dots_for(cfg.paper_mm)) == ("sim", 80, 9100, 576)


def test_paper_width_comes_from_the_environment_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """KIOSK_PRINTER_PAPER_MM=58 gives 384 dots; 70 is refused."""
    monkeypatch.setenv("KIOSK_PRINTER_PAPER_MM", "58")
    assert dots_for(PrinterSettings().paper_mm) == 384
    monkeypatch.setenv("KIOSK_PRINTER_PAPER_MM", "70")
    with pytest.raises(ValidationError, match="80 or 58"):
        PrinterSettings()
