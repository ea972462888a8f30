"""Writing files so that a crash or a bad input never leaves half of one behind."""
import contextlib
import os
import shutil
import tempfile

from drumroll.cli import UserError
from gan_numpy.checkpoint import atomic_write, write_target   # one implementation for all

__all__ = ["atomic_write", "output_file", "output_folder", "staged_folder", "write_target",
           "writing"]


def output_folder(folder):
    """Create `folder` (and its parents) if needed; UserError when it cannot be written to."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UserError(f"{folder}: cannot create output folder ({error.strerror or error})") from None
    if not os.access(folder, os.W_OK):
        raise UserError(f"{folder}: output folder is not writable")
    return folder


def cannot_write(path, error):
    """The one-line UserError for an OSError met while writing `path`."""
    return UserError(f"{os.fspath(path)}: cannot write ({error.strerror or error})")


def output_file(path):
    """Check before any long work that `path` can be written -> path; else UserError.

    Its folder (the folder of the file a symlink names) must exist and be writable, and the
    path must not name a folder, device, FIFO or socket (atomic_write never replaces those).
    """
    try:
        folder = os.path.dirname(write_target(path))
    except OSError as error:
        raise cannot_write(path, error) from None
    if not os.path.isdir(folder):
        raise UserError(f"{os.fspath(path)}: cannot write (no such folder: {folder})")
    if not os.access(folder, os.W_OK):
        raise UserError(f"{os.fspath(path)}: cannot write (folder {folder} is not writable)")
    return path


@contextlib.contextmanager
def writing(path, mode="wb"):
    """atomic_write(path, mode), with a failure to write as a one-line UserError naming path."""
    try:
        with atomic_write(path, mode) as handle:
            yield handle
    except OSError as error:
        raise cannot_write(path, error) from None


@contextlib.contextmanager
def staged_folder(out, earlier=(), prefix=".staging-"):
    """Write a batch of files into folder `out` all at once or not at all.

    Yields a new hidden folder inside `out` to write them into. When the block ends without an
    error, the files named in `earlier` are deleted from `out` and everything written is moved
    in; in every case the hidden folder is removed, so an error or Ctrl-C half-way leaves `out`
    as it was. UserError naming `out` when it cannot be written.
    """
    try:
        staging = tempfile.mkdtemp(dir=out, prefix=prefix)
    except OSError as error:
        raise cannot_write(out, error) from None
    try:
        yield staging
        try:
            for name in earlier:
                os.unlink(os.path.join(out, name))
            for name in sorted(os.listdir(staging)):
                os.replace(os.path.join(staging, name), os.path.join(out, name))
        except OSError as error:
            raise cannot_write(out, error) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
