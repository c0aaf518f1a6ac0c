"""One complete run per output location: stage every file of a run, then commit it in one step.

A run is written into a local staging folder (``staged_run``); ``commit`` then makes it the output:

- Local folder (a path or ``file://``): the staging folder sits beside the output
  (``.<name>.clarion-staging-<pid>-<id>``). It gets a manifest (written last, naming every file with its
  SHA-256) and is swapped with the output folder in one ``renameat2(RENAME_EXCHANGE)`` (or renamed into
  place when there is no output yet); the previous run, now in the staging path, is then removed. Any
  reader sees the previous complete run or the new one. Files in the output that belong to no run
  (not in the previous manifest, not a name of the run layout) are carried over into the new folder.
  Leftovers of killed runs beside the output are removed by the next run there (for URIs, the staging
  folders of killed runs in the temp folder by the next run to any URI).
- Object stores (``s3://``, ``gs://``, ``memory://``, ...) have no rename: the manifest is first replaced by
  a "writing" marker, then every object is written (analysis.json last), then the manifest, then the
  previous run's objects that the new run does not have are deleted. The same in-place order is used for a
  local output that cannot be swapped (a mount point, a file system without RENAME_EXCHANGE).

Readers (``open_run``) trust a run only through its manifest: every hash must match; a "writing" marker
means the write did not finish. A folder without a manifest is taken as written by Clarify and read as is.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import fsspec
from fsspec.implementations.local import LocalFileSystem

from clarion.errors import OutputError
from clarion.results import layout
from clarion.results.model import Analysis

MANIFEST_FORMAT = "clarion-run/1"
STAGING_MARK = ".clarion-staging-"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Location:
    """An output location: a local folder (``path``) or a folder of an fsspec file system (``fs`` + ``root``)."""

    uri: str
    fs: fsspec.AbstractFileSystem
    root: str

    @property
    def local(self) -> Path | None:
        return Path(self.root) if isinstance(self.fs, LocalFileSystem) else None

    def join(self, name: str) -> str:
        return layout.join(self.root, name)

    def display(self, name: str) -> str:
        """``name`` inside the location as the user wrote it (a path, or the URI joined with ``/``)."""
        if self.local is not None:
            return str(self.local / name)
        return layout.join(self.uri, name)


def location(output: str | Path) -> Location:
    """Resolve ``output`` (a path or any fsspec URI) to a Location."""
    text = str(output)
    if "://" not in text:  # a symbolic link to a folder: the run goes into the folder it points to
        return Location(text, fsspec.filesystem("file"), str(Path(text).resolve()))
    try:
        fs, root = fsspec.core.url_to_fs(text)
    except (ImportError, ValueError) as exc:
        raise OutputError(f"{text}: cannot write here: {exc}") from None
    if isinstance(fs, LocalFileSystem):
        return Location(text, fs, str(Path(root).resolve()))
    return Location(text, fs, root.rstrip("/"))


# ---------------------------------------------------------------------------------------------- manifest


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def run_files(folder: Path) -> list[str]:
    """Every file below ``folder`` as a ``/``-separated relative path, sorted (the manifest excluded)."""
    names = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()]
    return sorted(n for n in names if n != layout.MANIFEST_FILE)


def manifest_of(folder: Path) -> dict[str, object]:
    """The manifest of a staged run: ``{"format", "files": {name: {"sha256", "size"}}}``."""
    files = {name: {"sha256": sha256_file(folder / name), "size": (folder / name).stat().st_size} for name in
             run_files(folder)}  # fmt: skip
    return {"format": MANIFEST_FORMAT, "files": files}


def _manifest_bytes(manifest: dict[str, object]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _marker_bytes() -> bytes:
    return _manifest_bytes({"format": MANIFEST_FORMAT, "writing": True, "files": {}})


# ---------------------------------------------------------------------------------------------- writing


@contextlib.contextmanager
def staged_run(output: str | Path) -> Iterator[Path]:
    """A local staging folder for a new run at ``output``; committed when the block ends without an error,
    removed otherwise (nothing at ``output`` changes then)."""
    loc = location(output)
    staging = _new_staging(loc)
    try:
        yield staging
        commit(staging, loc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def derived_run(output: str | Path, replacing: Collection[str] = ()) -> Iterator[Path]:
    """A staging folder holding the current (verified) run at ``output``, for adding files to it (reports,
    the model card); committed as a new run when the block ends without an error. Files named in
    ``replacing`` are written anew by the caller: they are neither checked nor copied."""
    loc = location(output)
    manifest = verify_run(loc, skip=replacing)
    staging = _new_staging(loc)
    try:
        if manifest is not None:
            names = list(manifest)
        else:
            report_names = _report_names(loc)
            names = [n for n in _listing(loc) if _is_layout_name(n, report_names) and n != layout.MANIFEST_FILE]
        names = [n for n in names if n not in replacing]
        for name in names:
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if loc.local is not None:
                _link_or_copy(loc.local / name, target)
            else:
                loc.fs.get_file(loc.join(name), str(target))
        yield staging
        commit(staging, loc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _new_staging(loc: Location) -> Path:
    local = loc.local
    if local is not None:
        if local.exists() and not local.is_dir():
            raise OutputError(f"{local}: exists and is not a folder")
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_staging(local)
            staging = local.parent / f".{local.name}{STAGING_MARK}{os.getpid()}-{uuid.uuid4().hex[:12]}"
            staging.mkdir()
            return staging
        except OSError:
            pass  # a parent we cannot write to: stage elsewhere, commit in place
    temp = Path(tempfile.gettempdir())
    _remove_dead(temp, "clarion-run-")
    return Path(tempfile.mkdtemp(prefix=f"clarion-run-{os.getpid()}-", dir=temp))


def remove_stale_staging(output: Path) -> list[Path]:
    """Remove staging folders of killed runs beside ``output`` (their process is gone)."""
    return _remove_dead(output.parent, f".{output.name}{STAGING_MARK}")


def _remove_dead(folder: Path, prefix: str) -> list[Path]:
    """Remove ``folder/<prefix><pid>-...`` folders whose process is gone."""
    removed = []
    for entry in folder.glob(f"{prefix}*"):
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def commit(staging: Path, output: str | Path | Location) -> dict[str, object]:
    """Make the staged run the run at ``output`` (see the module docstring); returns its manifest."""
    loc = output if isinstance(output, Location) else location(output)
    previous = _previous_run_files(loc)
    manifest = manifest_of(staging)  # the run's files only: files carried over stay outside the manifest
    if loc.local is not None:
        _carry_over_foreign(loc.local, staging, previous)
    if loc.local is not None and staging.parent == loc.local.parent:
        _write_local(staging / layout.MANIFEST_FILE, _manifest_bytes(manifest))
        if _swap_in(staging, loc.local):
            return manifest
        (staging / layout.MANIFEST_FILE).unlink()
    _commit_in_place(staging, loc, manifest, previous)
    return manifest


def _previous_run_files(loc: Location) -> set[str]:
    """Files of the run now at ``loc``: its manifest's, or (no manifest) the names of the run layout."""
    try:
        manifest = read_manifest(loc)
    except OutputError:
        manifest = None  # an unfinished or damaged run: every layout name is the run's
    names = set(manifest or ()) | {layout.MANIFEST_FILE}
    for name in _listing(loc):
        if _is_layout_name(name, _report_names(loc)):
            names.add(name)
    return names


def _report_names(loc: Location) -> set[str]:
    names = {layout.REPORT_NAME}
    try:
        with loc.fs.open(loc.join(layout.CONFIG_FILE), "rb") as handle:
            report = ((json.load(handle) or {}).get("methods") or {}).get("report") or {}
        if isinstance(report.get("name"), str):
            names.add(report["name"])
    except (OSError, ValueError, AttributeError):
        pass
    return names


def _is_layout_name(name: str, report_names: set[str]) -> bool:
    top, base = name.split("/", 1)[0], name.rsplit("/", 1)[-1]
    if top in (layout.SHAP_DIR, layout.CHECKPOINT_DIR) or (base.startswith(".") and base.endswith(".tmp")):
        return True  # the run's folders, and temp files of an interrupted write
    if name in (layout.ANALYSIS_FILE, layout.CONFIG_FILE, layout.MANIFEST_FILE, layout.CARD_MARKDOWN, layout.CARD_JSON):
        return True
    stem, _, suffix = name.rpartition(".")
    return "/" not in name and stem in report_names and suffix in layout.REPORT_FORMATS


def _listing(loc: Location) -> list[str]:
    """Relative names of every file at ``loc`` (empty when it does not exist)."""
    try:
        found = loc.fs.find(loc.root)
    except (FileNotFoundError, NotADirectoryError):
        return []
    root = PurePosixPath(loc.fs._strip_protocol(loc.root)) if loc.local is None else None
    names = []
    for item in found:
        if loc.local is not None:
            names.append(Path(item).relative_to(loc.local).as_posix())
        else:
            assert root is not None
            names.append(PurePosixPath(loc.fs._strip_protocol(item)).relative_to(root).as_posix())
    return sorted(names)


def _carry_over_foreign(output: Path, staging: Path, previous: set[str]) -> None:
    """Files in ``output`` that belong to no run go into the new run's folder too (the run's own names win)."""
    if not output.is_dir():
        return
    for path in output.rglob("*"):
        if path.is_dir():
            continue
        name = path.relative_to(output).as_posix()
        if name in previous or (staging / name).exists():
            continue
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(path, staging / name)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _write_local(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EBUSY, errno.EXDEV, errno.EPERM, errno.ENOTSUP):
        return False
    raise OutputError(f"{b}: cannot replace the previous run: {os.strerror(code)}")


def _swap_in(staging: Path, output: Path) -> bool:
    """Put ``staging`` in place of ``output`` in one step; the previous run is then removed."""
    _fsync_dir(staging)
    if not output.exists():
        try:
            os.rename(staging, output)
        except OSError:
            return False
        _fsync_dir(output.parent)
        return True
    if not _exchange(staging, output):
        return False
    _fsync_dir(output.parent)
    shutil.rmtree(staging, ignore_errors=True)  # now the previous run
    return True


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _commit_in_place(staging: Path, loc: Location, manifest: dict[str, object], previous: set[str]) -> None:
    """Marker first, every file (analysis.json last), the manifest, then the previous run's leftovers go."""
    fs = loc.fs
    names = list(manifest["files"])  # type: ignore[call-overload]
    names.sort(key=lambda n: n == layout.ANALYSIS_FILE)
    try:
        fs.makedirs(loc.root, exist_ok=True)
        _put_bytes(loc, layout.MANIFEST_FILE, _marker_bytes())
        for name in names:
            if loc.local is not None:
                target = loc.local / name
                target.parent.mkdir(parents=True, exist_ok=True)
                _replace_local(staging / name, target)
            else:
                fs.put_file(str(staging / name), loc.join(name))
        for name in sorted(previous - set(names) - {layout.MANIFEST_FILE}):
            with contextlib.suppress(FileNotFoundError):
                fs.rm_file(loc.join(name))
        _put_bytes(loc, layout.MANIFEST_FILE, _manifest_bytes(manifest))
    except OSError as exc:
        raise OutputError(f"{loc.uri}: cannot write the run: {exc}") from None


def _replace_local(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError:  # another file system: copy beside the target, then rename
        tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)


def _put_bytes(loc: Location, name: str, data: bytes) -> None:
    if loc.local is not None:
        target = Path(loc.join(name))
        tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
        _write_local(tmp, data)
        os.replace(tmp, target)
    else:
        loc.fs.pipe_file(loc.join(name), data)


def write_file(output: str | Path, name: str, data: bytes) -> str:
    """Write one file ``output/name`` whole or not at all (temp file and rename locally; one PUT remotely)."""
    loc = location(output)
    try:
        if loc.local is not None:
            Path(loc.join(name)).parent.mkdir(parents=True, exist_ok=True)
        else:
            loc.fs.makedirs(loc.root, exist_ok=True)
        _put_bytes(loc, name, data)
    except OSError as exc:
        raise OutputError(f"{loc.display(name)}: cannot write: {exc.strerror or exc}") from None
    return loc.display(name)


# ---------------------------------------------------------------------------------------------- reading


def read_manifest(output: str | Path | Location) -> dict[str, dict[str, object]] | None:
    """The files of the run at ``output`` (name -> {"sha256", "size"}), or None without a manifest."""
    loc = output if isinstance(output, Location) else location(output)
    try:
        with loc.fs.open(loc.join(layout.MANIFEST_FILE), "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OutputError(f"{loc.display(layout.MANIFEST_FILE)}: cannot read: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("files"), dict):
        raise OutputError(f"{loc.display(layout.MANIFEST_FILE)}: not a clarion run manifest")
    if data.get("writing"):
        raise OutputError(f"{loc.uri}: the run written here did not finish (no complete run to read)")
    return data["files"]


def _read_bytes(loc: Location, name: str) -> bytes:
    try:
        with loc.fs.open(loc.join(name), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise OutputError(f"{loc.display(name)}: not found") from None
    except OSError as exc:
        raise OutputError(f"{loc.display(name)}: cannot read: {exc}") from None


def verify_run(output: str | Path | Location, skip: Collection[str] = ()) -> dict[str, dict[str, object]] | None:
    """Check every file of the manifest (but those in ``skip``) against its SHA-256; None without a manifest."""
    loc = output if isinstance(output, Location) else location(output)
    manifest = read_manifest(loc)
    if manifest is None:
        return None
    for name, entry in manifest.items():
        if name in skip:
            continue
        digest = hashlib.sha256(_read_bytes(loc, name)).hexdigest()
        if digest != entry.get("sha256"):
            raise OutputError(f"{loc.display(name)}: does not match the run's manifest (a mixed or damaged run)")
    return manifest


def open_run(output: str | Path) -> tuple[Analysis, dict[str, dict[str, object]] | None]:
    """The verified run at ``output``: its Analysis and manifest (None for a run written by Clarify)."""
    loc = location(output)
    manifest = verify_run(loc)
    text = _read_bytes(loc, layout.ANALYSIS_FILE)
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise OutputError(f"{loc.display(layout.ANALYSIS_FILE)}: not UTF-8 text") from None
    return Analysis.from_json(decoded, loc.display(layout.ANALYSIS_FILE)), manifest


def read_analysis(output: str | Path) -> Analysis:
    """The Analysis of the run at ``output`` (checked against its manifest when there is one)."""
    return open_run(output)[0]
