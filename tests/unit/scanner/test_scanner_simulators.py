"""The simulated camera and feeder write what the scanner's sim adapters read."""
from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
import img2pdf
import numpy as np
import pytest

from services.scanner.adapters import SimCamera, SimFeeder
from simulators.devices import insert_documents, present_qr


def _png(path: Path, value: int = 200) -> Path:
    cv2.imwrite(str(path), np.full((60, 40), value, np.uint8))
    return path


def test_present_qr_writes_a_frame_the_sim_camera_decodes_and_consumes(tmp_path: Path) -> None:
    """present_qr drops one complete PNG frame in camera/inbox; SimCamera decodes it and deletes it."""
    path = present_qr(tmp_path, "Xin chào Bình Phú", seed=5)
    assert path.parent == tmp_path / "camera/inbox" and path.suffix == ".png"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    camera = SimCamera(path.parent)
    decoded = camera.poll()
    assert decoded is not None and decoded.text == "Xin chào Bình Phú"
    assert not path.exists()


def test_insert_documents_numbers_pages_and_expands_pdfs(tmp_path: Path) -> None:
    """Images are copied as 0001.png...; each PDF page becomes a page; .ready is written last."""
    src = tmp_path / "src"
    src.mkdir()
    a, b = _png(src / "a.png"), _png(src / "b.PNG", 100)
    pdf = src / "two.pdf"
    pdf.write_bytes(img2pdf.convert([a.read_bytes(), b.read_bytes()]))
    batch = insert_documents(tmp_path / "var", [a, pdf])
    assert sorted(p.name for p in batch.iterdir()) == [".ready", "0001.png", "0002.png", "0003.png"]
    assert batch.parent == tmp_path / "var/feeder"


def test_insert_documents_refuses_missing_and_unsupported_files(tmp_path: Path) -> None:
    """A missing file or an unsupported type is a ValueError naming it; nothing reaches the feeder."""
    (tmp_path / "notes.txt").write_text("x")
    for files, words in (([tmp_path / "nope.png"], "not found"), ([tmp_path / "notes.txt"], "unsupported"),
                         ([], "no document")):
        with pytest.raises(ValueError, match=words):
            insert_documents(tmp_path / "var", files)
    assert not (tmp_path / "var/feeder").exists() or not any((tmp_path / "var/feeder").iterdir())


async def test_sim_feeder_takes_oldest_ready_batch_once_per_claim(tmp_path: Path) -> None:
    """Batches go oldest first; the same claim gets the same pages again; release removes them."""
    _png(tmp_path / "p.png")
    first = insert_documents(tmp_path, [tmp_path / "p.png"])
    insert_documents(tmp_path, [tmp_path / "p.png", tmp_path / "p.png"])
    feeder = SimFeeder(tmp_path / "feeder", poll_s=0.01)
    assert len(await feeder.take("claim-1", 0)) == 1 and not first.exists()
    assert len(await feeder.take("claim-1", 0)) == 1
    assert len(await feeder.take("claim-2", 0)) == 2
    assert await feeder.take("claim-3", 0.05) is None
    await feeder.release("claim-1")
    assert not (tmp_path / "feeder/.claimed/claim-1").exists()


async def test_sim_feeder_waits_for_a_batch_to_arrive(tmp_path: Path) -> None:
    """take() waits up to wait_s and picks up a batch inserted meanwhile."""
    _png(tmp_path / "p.png")
    feeder = SimFeeder(tmp_path / "feeder", poll_s=0.02)
    later = asyncio.get_running_loop().call_later(0.1, insert_documents, tmp_path, [tmp_path / "p.png"])
    try:
        assert len(await feeder.take("c", 3) or []) == 1
    finally:
        later.cancel()
