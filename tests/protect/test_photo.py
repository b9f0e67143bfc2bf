"""The optional PDQ hash (issue 18): the user's own photo hashed on this machine, only the hash kept (in the
private watchlist, 0600), never the photo; compared with a trusted partner's hashes at the documented
Hamming distance (31 of 256 bits); unreadable photos and partner files are one-line errors."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from tests.helpers.cli import unmask, unmask_json
from unmask.protect.photo import MATCH_DISTANCE, distance, hash_photo

pytest.importorskip("pdqhash")
Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")

NAME = "Mara Quellstein"  # invented


def _photo(path: Path, seed: int, size: int = 400) -> Path:
    """A synthetic picture (shapes on a gradient): features enough for PDQ, no person in it."""
    import random

    rng = random.Random(seed)
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        draw.line([(0, y), (size, y)], fill=(y * 255 // size, 80, 255 - y * 255 // size))
    for n in range(60):
        x, y, r = rng.randint(0, size), rng.randint(0, size), rng.randint(8, size // 5)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        shape = draw.ellipse if n % 2 else draw.rectangle
        shape([x - r, y - r, x + r, y + r], fill=colour)
    image.save(path)
    return path


def test_a_photo_is_hashed_here_and_only_its_hash_is_kept(new_case: Path, tmp_path: Path) -> None:
    photo = _photo(tmp_path / "own.png", seed=1)
    unmask("protect", "add", NAME, "--photo", str(photo), "--case", str(new_case))
    watchlist = new_case / "protect" / "watchlist.yaml"
    assert stat.S_IMODE(watchlist.stat().st_mode) == 0o600
    persons = unmask_json("protect", "list", "--case", str(new_case))["persons"]
    assert persons[0]["photo_hashes"] == [hash_photo(photo).hash]
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    for path in new_case.rglob("*"):  # the photo itself is nowhere in the case
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() != digest, path
            assert path.suffix.lower() not in {".png", ".jpg", ".jpeg"} or "reference" in path.parts, path
    log = (new_case / "evidence" / "custody.jsonl").read_text(encoding="utf-8")
    entry = [json.loads(line) for line in log.splitlines()][-1]
    assert "1 photo hash added" in entry["note"]
    assert NAME not in log and "own.png" not in log


def test_partner_hashes_match_within_the_documented_distance(new_case: Path, tmp_path: Path) -> None:
    own = _photo(tmp_path / "own.png", seed=2)
    unmask("protect", "add", NAME, "--photo", str(own), "--case", str(new_case))
    with Image.open(own) as image:  # the same picture as a partner may have seen it: smaller, as JPEG
        image.resize((300, 300)).save(tmp_path / "seen.jpg", quality=70)
    seen = hash_photo(tmp_path / "seen.jpg").hash
    other = hash_photo(_photo(tmp_path / "other.png", seed=99)).hash
    assert distance(seen, hash_photo(own).hash) <= MATCH_DISTANCE < distance(other, hash_photo(own).hash)
    partner = tmp_path / "partner.txt"
    partner.write_text(
        f"# from a trusted partner\n{other} case-17\n{seen.upper()} case-42\n\n", encoding="utf-8"
    )
    result = unmask_json("protect", "compare", str(partner), "--case", str(new_case))
    assert result["partner_hashes"] == 2 and result["photo_hashes"] == 1
    assert [(m["person"], m["reference"], m["line"]) for m in result["matches"]] == [(NAME, "case-42", 3)]
    assert result["matches"][0]["distance"] <= MATCH_DISTANCE
    none = unmask_json("protect", "compare", str(partner), "--threshold", "0", "--case", str(new_case))
    assert none["matches"] == [] or none["matches"][0]["distance"] == 0


def test_bad_photos_and_partner_files_are_one_line_errors(new_case: Path, tmp_path: Path) -> None:
    flat = tmp_path / "flat.png"
    Image.new("RGB", (200, 200), (128, 128, 128)).save(flat)
    proc = unmask("protect", "add", NAME, "--photo", str(flat), "--case", str(new_case), check=False)
    assert proc.returncode == 2 and "quality" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    text = tmp_path / "not-an-image.png"
    text.write_text("hello", encoding="utf-8")
    proc = unmask("protect", "add", NAME, "--photo", str(text), "--case", str(new_case), check=False)
    assert proc.returncode == 2 and str(text) in proc.stderr
    assert not (new_case / "protect" / "watchlist.yaml").exists()  # nothing added on an error

    unmask(
        "protect", "add", NAME, "--photo", str(_photo(tmp_path / "own.png", seed=3)), "--case", str(new_case)
    )
    bad = tmp_path / "partner.txt"
    bad.write_text("ab" * 32 + "\nnot a hash\n", encoding="utf-8")
    proc = unmask("protect", "compare", str(bad), "--case", str(new_case), check=False)
    assert proc.returncode == 2 and f"{bad}:2" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
