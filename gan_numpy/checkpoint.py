"""Checkpoints: one .npz file of named arrays plus JSON metadata, safe to load.

The metadata (architecture / config, step, RNG state, anything JSON-serialisable) is stored as
a JSON string array under the key '__meta__'. Files are written to a temporary file and renamed
(`atomic_write`), so a crash never leaves half a checkpoint, and they are read with
allow_pickle=False, so a checkpoint can never run code. Any problem reading one raises
CheckpointError naming the file.
"""
import contextlib
import errno
import json
import os
import stat
import tempfile
import zipfile

import numpy as np

META_KEY = "__meta__"


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, corrupt or does not fit the network."""


class NotARegularFile(OSError):
    """The path to write names a folder, a device, a FIFO or a socket: it is never replaced."""


class ReadOnlyFile(OSError):
    """The path to write names a read-only file: it is never replaced."""


FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
              (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
              (stat.S_ISSOCK, "a socket"))


def write_target(path):
    """The file that writing `path` should replace: symlinks followed to the file they name.

    Raises NotARegularFile when that file exists and is not a regular file, since renaming a
    new file over a device or a FIFO would replace the device itself, not write to it, and
    ReadOnlyFile when it is read-only: an existing file keeps its permissions, so one nobody
    may write to is never replaced (renaming over it would make it writable again).
    """
    target = os.path.realpath(os.fspath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target                       # a new file (or a link to a file not yet there)
    for is_kind, kind in FILE_KINDS:
        if is_kind(mode):
            code = errno.EISDIR if kind == "a folder" else errno.EINVAL
            raise NotARegularFile(code, f"is {kind}, not a regular file; not replaced",
                                  os.fspath(path))
    if not mode & 0o222 or not os.access(target, os.W_OK):   # root may write anything
        raise ReadOnlyFile(errno.EACCES, "is read-only; not replaced", os.fspath(path))
    return target


def new_file_mode(target):
    """The permissions a file written to `target` gets: those of the file it replaces, or
    those a plain open() would give a new one (0o666 less the umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def temporary_prefix(name, limit=100):
    """'.<name>.' for a temporary file beside `name`, the name cut to `limit` bytes of UTF-8:
    a name may already be as long as a file name can be (255 bytes)."""
    return "." + name.encode("utf-8", "surrogateescape")[:limit].decode("utf-8", "ignore") + "."


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Open a temporary file beside `path`; on success rename it over `path`, else delete it.

    The rename is atomic on POSIX, so readers see either the old file or the whole new one.
    A symlink is followed: the file it points to is replaced, in its own folder, and the link
    stays. The new file keeps the permissions of the one it replaces. A path naming a folder,
    device, FIFO, socket or read-only file raises NotARegularFile or ReadOnlyFile (OSErrors)
    and is left alone. (The drum side writes every output file through this function too.)
    """
    target = write_target(path)
    directory = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=temporary_prefix(os.path.basename(target)),
                               suffix=".tmp")
    try:
        os.chmod(tmp, new_file_mode(target))    # mkstemp creates the file 0600
        with os.fdopen(fd, mode) as handle:
            yield handle
        write_target(path)                  # still a regular file (or none) after writing
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save_checkpoint(path, arrays, meta):
    """Write {name: ndarray} and a JSON-serialisable dict `meta` to `path` (.npz), atomically."""
    if META_KEY in arrays:
        raise ValueError(f"'{META_KEY}' is reserved for the metadata")
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray) or value.dtype == object:
            raise ValueError(f"checkpoint array '{name}' must be a numeric ndarray")
    meta_text = json.dumps(meta)
    with atomic_write(path, "wb") as handle:
        np.savez(handle, **arrays, **{META_KEY: np.array(meta_text)})


def load_checkpoint(path):
    """Read a checkpoint written by save_checkpoint -> (arrays, meta)."""
    path = os.fspath(path)
    if os.path.isfile(path) and not zipfile.is_zipfile(path):
        # np.load would take any other bytes for a pickle and say so: confusing, not the reason
        raise CheckpointError(f"{path}: not a checkpoint (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as data:
            if META_KEY not in data.files:
                raise CheckpointError(f"{path}: not a checkpoint (no metadata)")
            arrays = {name: data[name] for name in data.files if name != META_KEY}
            meta = json.loads(str(data[META_KEY]))
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a directory, not a checkpoint file") from None
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path}: corrupt metadata ({error.msg})") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint ({reason})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: corrupt metadata (not a JSON object)")
    return arrays, meta


def restore(module, arrays, prefix, path):
    """Load the arrays named '<prefix><name>' into module; CheckpointError when they do not fit
    or hold NaN or infinite values (weights of a run that diverged would only write noise)."""
    own = {name[len(prefix):]: value for name, value in arrays.items() if name.startswith(prefix)}
    broken = [prefix + name for name, value in own.items()
              if value.dtype.kind in "fc" and not np.isfinite(value).all()]
    if broken:
        more = f" and {len(broken) - 1} more" if len(broken) > 1 else ""
        raise CheckpointError(f"{os.fspath(path)}: holds NaN or infinite values ({broken[0]}{more}); "
                              "the run diverged: use an earlier checkpoint or train again")
    try:
        module.load_state_dict(own)
    except ValueError as error:
        raise CheckpointError(f"{os.fspath(path)}: does not fit the network ({error})") from None


def rng_state(rng):
    """A numpy Generator's state as a JSON-serialisable dict (for the metadata)."""
    return rng.bit_generator.state


def set_rng_state(rng, state):
    """Restore a state from rng_state into a numpy Generator of the same bit generator."""
    rng.bit_generator.state = state
