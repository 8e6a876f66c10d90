"""A learner's own photos: bounded, decoded safely, kept under the data directory.

Every file is a stranger's bytes. It is refused, with its name and the reason, when
it is too large, not a JPEG or PNG, larger in pixels than the limit (read from its
header, before a pixel is decoded: a 20,000 × 20,000 PNG of a few kilobytes is
refused without allocating 1.2 GB), or cannot be decoded to the end (a truncated
JPEG). What is kept is the decoded photo turned by its EXIF orientation (what the
camera meant by up), in RGB, its shorter side at most `STORED_SIDE`, re-encoded as
JPEG under a name the server makes; the learner's file name is only shown.

An upload set lives in `<data dir>/uploads/<id>/` with a `manifest.json`; it is
deleted on request, with the last run trained on it, or, never used, after
`UNUSED_TTL_S`.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import struct
import threading
import time
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from server.problems.orientation.photos import Photo

MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo passes
MAX_SIDE = 12_000
MAX_PHOTOS = 300  # per upload set
MIN_PHOTOS = 2  # one to train on, one to test on
MAX_SETS = 30  # upload sets kept at once on this server
UNUSED_TTL_S = 3600.0  # a set no run names is removed after this long
STORED_SIDE = 256  # pixels: the shorter side of a kept photo, at most
FORMATS = ("JPEG", "PNG")
CONTENT_TYPES = ("image/jpeg", "image/png", "application/octet-stream")
MAX_NAME = 200
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16}")
_TOO_LARGE = f"the most is {MAX_PIXELS:,} pixels and {MAX_SIDE:,} on a side"
# Decoding takes a core and up to MAX_PIXELS × 4 bytes: two at a time at most.
_decoding = threading.BoundedSemaphore(2)


class PhotoRejectedError(ValueError):
    """A file that cannot be one of the photos; the reason names what is wrong with it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class UploadSetError(ValueError):
    """An upload set that does not exist, is full, or cannot be made (→ 4xx)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def clean_name(name: Any) -> str:
    """A file name fit to show: printable, at most MAX_NAME characters, never empty."""
    text = "".join(ch for ch in str(name or "") if ch.isprintable()).strip()
    text = text.replace("\\", "/").rsplit("/", 1)[-1]  # a folder drop sends paths
    return text[:MAX_NAME] or "(unnamed file)"


def decode_photo(data: bytes, name: str) -> np.ndarray:
    """The photo in a JPEG or PNG file as RGB uint8 (h, w, 3), upright by its EXIF
    orientation and its shorter side at most STORED_SIDE; `PhotoRejectedError` says why not."""
    if len(data) > MAX_FILE_BYTES:
        raise PhotoRejectedError(name, f"the file is {len(data):,} bytes; the most is "
                                       f"{MAX_FILE_BYTES:,}")
    if not data:
        raise PhotoRejectedError(name, "the file is empty")
    with _decoding, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except UnidentifiedImageError:
            raise PhotoRejectedError(name, "not a JPEG or PNG image") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            # Pillow's own guard, from the header: far past ours.
            raise PhotoRejectedError(name, f"too large: {_TOO_LARGE}") from None
        except (OSError, SyntaxError, ValueError, struct.error) as error:
            raise PhotoRejectedError(name, f"cannot be read as an image ({error})") from None
        width, height = image.size
        if width < 1 or height < 1:
            raise PhotoRejectedError(name, "the image has no pixels")
        if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
            raise PhotoRejectedError(name, f"too large: {width:,} × {height:,} pixels; "
                                           f"{_TOO_LARGE}")
        try:
            if image.format == "JPEG":  # decode at a reduced scale: less memory and time
                image.draft("RGB", (STORED_SIDE * 2, STORED_SIDE * 2))
            image.load()
            try:
                image = ImageOps.exif_transpose(image)
            except Exception:  # a broken EXIF block: keep the pixels as stored
                pass
            image = image.convert("RGB")
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error,
                MemoryError, Image.DecompressionBombError,
                Image.DecompressionBombWarning) as error:
            raise PhotoRejectedError(name, f"cannot be decoded ({error})") from None
        shorter = min(image.size)
        if shorter > STORED_SIDE:
            scale = STORED_SIDE / shorter
            image = image.resize((max(1, round(image.width * scale)),
                                  max(1, round(image.height * scale))),
                                 Image.Resampling.BILINEAR, reducing_gap=2.0)
        return np.asarray(image, dtype=np.uint8)


@dataclass
class UploadSet:
    """What `manifest.json` holds."""

    id: str
    created_at: float
    photos: list[dict[str, Any]]  # {name, width, height, file}
    rejected: list[dict[str, str]]  # {name, error}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "createdAt": self.created_at,
                "photos": [{k: p[k] for k in ("name", "width", "height")} for p in self.photos],
                "rejected": list(self.rejected)}


class UploadStore:
    """Upload sets under `<data dir>/uploads`: made, filled one file at a time, read by
    jobs, deleted. One lock keeps a set's manifest whole under concurrent uploads."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "uploads"
        self._lock = threading.Lock()

    def _folder(self, set_id: str) -> Path:
        if not isinstance(set_id, str) or not ID_PATTERN.fullmatch(set_id):
            raise UploadSetError(404, "no upload set with this id")
        return self.root / set_id

    def _read(self, set_id: str) -> UploadSet:
        folder = self._folder(set_id)
        try:
            raw = json.loads((folder / "manifest.json").read_text("utf-8"))
            return UploadSet(set_id, float(raw["createdAt"]), list(raw["photos"]),
                             list(raw["rejected"]))
        except (OSError, ValueError, KeyError, TypeError):
            raise UploadSetError(404, "no upload set with this id (it may have been "
                                      "deleted)") from None

    def _write(self, upload: UploadSet) -> None:
        folder = self._folder(upload.id)
        temporary = folder / f".manifest-{secrets.token_hex(4)}.json"
        temporary.write_text(json.dumps({"createdAt": upload.created_at,
                                         "photos": upload.photos,
                                         "rejected": upload.rejected}), "utf-8")
        os.replace(temporary, folder / "manifest.json")

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [p.name for p in self.root.iterdir() if ID_PATTERN.fullmatch(p.name)]

    def create(self, in_use: set[str]) -> UploadSet:
        """A new, empty set; sets unused for an hour go first, and past MAX_SETS, 429."""
        with self._lock:
            self._prune(in_use)
            if len(self.ids()) >= MAX_SETS:
                raise UploadSetError(429, f"{MAX_SETS} upload sets are kept, the most this "
                                          "server allows; delete one (or its runs)")
            upload = UploadSet(secrets.token_urlsafe(12), time.time(), [], [])
            try:
                self._folder(upload.id).mkdir(parents=True)
                self._write(upload)
            except OSError as error:
                raise UploadSetError(507, f"the server cannot store photos ({error})") from None
            return upload

    def get(self, set_id: str) -> UploadSet:
        with self._lock:
            return self._read(set_id)

    def add(self, set_id: str, name: str, data: bytes) -> dict[str, Any]:
        """Decode and keep one file; a bad one is recorded as rejected and raised."""
        name = clean_name(name)
        with self._lock:
            upload = self._read(set_id)
            full = len(upload.photos) >= MAX_PHOTOS
        if full:
            error = PhotoRejectedError(name, f"the set already holds {MAX_PHOTOS} photos, "
                                             "the most")
        else:
            try:
                pixels = decode_photo(data, name)
                error = None
            except PhotoRejectedError as rejected:
                error = rejected
        with self._lock:
            upload = self._read(set_id)
            if error is None and len(upload.photos) >= MAX_PHOTOS:
                error = PhotoRejectedError(name, f"the set already holds {MAX_PHOTOS} "
                                                 "photos, the most")
            if error is not None:
                upload.rejected = [*upload.rejected, {"name": name, "error": error.reason}]
                upload.rejected = upload.rejected[-MAX_PHOTOS:]
                try:
                    self._write(upload)
                except OSError:
                    pass  # the file is refused either way; its note is lost
                raise error
            file = f"{len(upload.photos):04d}-{secrets.token_hex(3)}.jpg"
            folder = self._folder(set_id)
            temporary = folder / f".{file}"
            photo = {"name": name, "width": int(pixels.shape[1]),
                     "height": int(pixels.shape[0]), "file": file}
            try:
                Image.fromarray(pixels).save(temporary, "JPEG", quality=92)
                os.replace(temporary, folder / file)
                upload.photos = [*upload.photos, photo]
                self._write(upload)
            except OSError as error:  # a full or read-only disk: the photo is not kept
                temporary.unlink(missing_ok=True)
                raise UploadSetError(507, f"the server cannot store the photo ({error})"
                                     ) from None
            return {**{k: photo[k] for k in ("name", "width", "height")},
                    "photos": len(upload.photos)}

    def photos(self, set_id: str) -> list[Photo]:
        """The set's photos as decoded RGB arrays (files this server wrote)."""
        upload = self.get(set_id)
        folder = self._folder(set_id)
        out = []
        for entry in upload.photos:
            try:
                with Image.open(folder / entry["file"]) as image:
                    out.append(Photo(entry["name"], np.asarray(image.convert("RGB"))))
            except (OSError, ValueError):
                continue  # a file lost from the data directory: train on the others
        return out

    def delete(self, set_id: str) -> bool:
        folder = self._folder(set_id)
        with self._lock:
            if not folder.is_dir():
                return False
            shutil.rmtree(folder, ignore_errors=True)
            return True

    def _prune(self, in_use: set[str]) -> None:
        """Caller holds the lock: remove sets no run names, made over UNUSED_TTL_S ago."""
        now = time.time()
        for set_id in self.ids():
            if set_id in in_use:
                continue
            try:
                created = self._read(set_id).created_at
            except UploadSetError:
                created = 0.0  # no readable manifest: a half-made set
            if now - created > UNUSED_TTL_S:
                shutil.rmtree(self.root / set_id, ignore_errors=True)
