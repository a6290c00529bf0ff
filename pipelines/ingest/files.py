"""Finding the files in a landing folder, and telling new deliveries from ones already ingested.

A file is known by the sha256 of its content, not by its name: re-delivering the same content under
any name changes nothing, and a changed file under an old name is a new delivery.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract import FEEDS, FILE_SUFFIXES
from pipelines.mapping.profile import PROFILE_NAME, Profile, folder_profile, vendor_folders

CHUNK = 1 << 20


class LandingError(Exception):
    """The landing folder cannot be used at all (missing, or not a directory)."""


@dataclass(frozen=True)
class LandingFile:
    feed: str
    path: Path
    relative: str  # relative to the landing folder, with '/' separators: what reports show
    sha256: str
    mtime_ns: int
    # A vendor export (landing/vendor/<name>/): read through this profile as rows of its feed.
    profile: Profile | None = None

    @property
    def name_is_utf8(self) -> bool:
        """False for a name with bytes that are not UTF-8 (Python keeps them as surrogates)."""
        try:
            str(self.path).encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    @property
    def format(self) -> str | None:
        """'csv', 'jsonl' or 'parquet'; None for a file type the contract does not know; 'vendor' for an
        export its profile reads."""
        if self.profile is not None:
            return "vendor"
        suffix = self.path.suffix.lower()
        return suffix[1:] if suffix in FILE_SUFFIXES else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


HASH_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _digest(path: Path, relative: str, mtime_ns: int) -> str:
    try:
        return sha256_of(path)
    except OSError:
        # Unreadable (permissions): a batch of its own, which reading then rejects with the cause.
        return hashlib.sha256(f"unreadable {relative} {mtime_ns}".encode()).hexdigest()


def landing_files(landing: Path) -> list[LandingFile]:
    """Every file directly inside a feed folder, in delivery order (modification time, then path).

    Folders that are not feeds (such as oneroster/) are not read here. Every file of a vendor folder
    but its profile is an export of the profile's feed; its hash covers what the profile says too, so a
    corrected profile reads the exports again. A bad profile raises ProfileError.
    """
    landing = Path(landing)
    if not landing.exists():
        raise LandingError(f"landing folder not found: {landing}")
    if not landing.is_dir():
        raise LandingError(f"landing folder is not a directory: {landing}")
    listed = []
    for feed in FEEDS:
        folder = landing / feed
        if not folder.is_dir():
            continue  # a missing feed is allowed: its rules are reported as not evaluated
        for path in folder.iterdir():
            if not path.is_file():
                continue
            relative = _shown(f"{feed}/{path.name}")
            try:
                mtime_ns = path.stat().st_mtime_ns
            except FileNotFoundError:
                continue  # removed since the folder was listed
            listed.append((feed, path, relative, mtime_ns))
    # Hashing is the only work before the first file is staged (about 0.45 GB/s on one core): the files
    # are hashed side by side (hashlib lets go of the GIL while it hashes).
    with ThreadPoolExecutor(max_workers=HASH_WORKERS) as pool:
        digests = list(pool.map(lambda item: _digest(*item[1:]), listed))
    found = [
        LandingFile(feed=feed, path=path, relative=relative, sha256=digest, mtime_ns=mtime_ns)
        for (feed, path, relative, mtime_ns), digest in zip(listed, digests)
    ]
    found += _vendor_exports(landing)
    return sorted(found, key=lambda f: (f.mtime_ns, f.relative))


def _vendor_exports(landing: Path) -> list[LandingFile]:
    found = []
    for folder in vendor_folders(landing):
        profile = folder_profile(folder)
        for path in folder.iterdir():
            if not path.is_file() or path.name == PROFILE_NAME:
                continue
            relative = _shown(f"vendor/{folder.name}/{path.name}")
            try:
                mtime_ns = path.stat().st_mtime_ns
                content = sha256_of(path)
            except FileNotFoundError:
                continue
            except OSError:
                content = f"unreadable {relative} {mtime_ns}"
            digest = hashlib.sha256(f"{content}\n{profile.digest}".encode()).hexdigest()
            found.append(LandingFile(profile.feed.name, path, relative, digest, mtime_ns, profile))
    return found


def _shown(name: str) -> str:
    """A name as text the warehouse can store: bytes that are not UTF-8 become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def split_new(con, files: list[LandingFile]) -> tuple[list[LandingFile], list[LandingFile]]:
    """(new, skipped): a file is skipped when its content was ingested before or appears earlier
    in this same delivery."""
    known = {row[0] for row in con.execute("SELECT file_hash FROM landing_files").fetchall()}
    new, skipped = [], []
    for file in files:
        if file.sha256 in known:
            skipped.append(file)
        else:
            known.add(file.sha256)
            new.append(file)
    return new, skipped


def pending_files(con, landing: Path) -> list[tuple[str, str]]:
    """(relative path, sha256) of each file whose content is not ingested yet, in delivery order."""
    new, _ = split_new(con, landing_files(landing))
    return [(f.relative, f.sha256) for f in new]
