"""Decompression bombs are rejected from their headers, never decoded (SPEC §4, §5).

Two proofs: (1) a spy on Pillow's ``load`` (where every decoder runs) shows that no bomb and no
image one pixel over the limit reaches a decoder, while an image exactly at the limit does;
(2) a subprocess that hands a complete 9000x9000 PNG bomb (243 MB of pixels in a 236 KB file) to
ingest's imaging keeps its peak RSS small, while the same subprocess with the limit raised (the
control) shows the measurement does see a real decode.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from tests.e2e.security.hostile import CASES, png_bomb

ROOT = Path(__file__).resolve().parents[3]
BOMBS = [c for c in CASES if c.name.endswith("bomb") or "bomb_" in c.name]


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[int, int]]]:
    """Every decode Pillow starts: (format, size) per ImageFile.load call with pending tiles."""
    seen: list[tuple[str, tuple[int, int]]] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        if self.tile:
            seen.append((str(self.format), self.size))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


def test_the_bomb_catalogue_is_not_empty() -> None:
    assert {c.name for c in BOMBS} >= {"png_bomb_81mp", "png_bomb_10gp", "gif_bomb", "tiff_bomb", "webp_bomb"}


@pytest.mark.parametrize("case", BOMBS, ids=[c.name for c in BOMBS])
def test_bombs_are_rejected_before_any_decode(case, decodes) -> None:  # type: ignore[no-untyped-def]
    from imageapi.adapters.pixels import process as imaging
    from imageapi.domain.errors import ImageRejected

    with pytest.raises(ImageRejected) as rejected:
        imaging.process_upload(case.data, max_pixels=50_000_000)
    assert any(word in rejected.value.reason.lower() for word in case.reason), rejected.value.reason
    assert decodes == [], f"{case.name} reached a decoder: {decodes}"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP"])
def test_the_pixel_limit_is_exact_and_checked_before_decoding(fmt: str, decodes) -> None:  # type: ignore[no-untyped-def]
    from imageapi.adapters.pixels import process as imaging
    from imageapi.domain.errors import ImageRejected

    buffer = io.BytesIO()
    Image.new("RGB", (100, 80), (10, 120, 200)).save(buffer, fmt)
    data = buffer.getvalue()
    with pytest.raises(ImageRejected, match="pixel limit"):
        imaging.process_upload(data, max_pixels=100 * 80 - 1)
    with pytest.raises(ImageRejected, match="pixel limit"):
        imaging.render(data, max_pixels=100 * 80 - 1, width=10, height=10)
    assert decodes == []
    processed = imaging.process_upload(data, max_pixels=100 * 80)
    assert (processed.analysis.width, processed.analysis.height) == (100, 80)
    assert decodes, "the spy must see the decode of an image at the limit"


# Peak RSS from VmHWM (this process's own memory map): ru_maxrss would carry over the parent's
# peak across fork and exec, and the pytest process running the local stacks is large.
_PROBE = textwrap.dedent(
    """
    import json, sys
    sys.path[:0] = [{core!r}, {root!r}]

    def peak_kib():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    from imageapi.adapters.pixels import process as imaging
    from imageapi.domain.errors import ImageRejected
    from tests.harness.images import jpeg
    from tests.e2e.security.hostile import png_bomb
    data = png_bomb()
    imaging.process_upload(jpeg(64, 64), max_pixels=10**6)  # every import and table warmed up
    before = peak_kib()
    try:
        imaging.process_upload(data, max_pixels=int(sys.argv[1]))
        outcome = "decoded"
    except ImageRejected as rejected:
        outcome = rejected.reason
    after = peak_kib()
    print(json.dumps({{"outcome": outcome, "growth_kib": after - before, "peak_kib": after}}))
    """
)


def _peak(max_pixels: int) -> dict:
    code = _PROBE.format(core=str(ROOT / "layers" / "core"), root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code, str(max_pixels)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_ingesting_a_bomb_keeps_memory_bounded() -> None:
    assert len(png_bomb()) < 300_000  # a small file...
    bomb = _peak(50_000_000)  # ...whose 81 MP are over the default limit
    assert "pixel limit" in bomb["outcome"]
    assert bomb["growth_kib"] < 16 * 1024, bomb  # no pixel buffer was ever allocated

    # Control: with the limit raised, the same process decodes it and the measurement shows it.
    control = _peak(100_000_000)
    assert control["outcome"] == "decoded"
    assert control["growth_kib"] > 200 * 1024, control
