"""Writing files and folders so that a crash, a Ctrl-C, a full disk or a second command never
leaves half of one behind.

A file is written beside its destination and renamed over it (atomic_write). A folder a
command writes (a generation, a dataset, converted images) follows one rule: **every folder a
command writes is staged and moved in at the end, and two writers of one folder never both
succeed.** `staged_folder` holds a lock file in the folder (created exclusively, with the
process id inside), writes everything into a hidden staging folder beside the files it will
replace, and moves it all in at once when the command is done (`StagedFolder.commit`, during
which Ctrl-C waits). Whatever happens before that leaves the folder as it was, and a folder
the command created is removed again. (A training's run folder is the exception: its
checkpoints are meant to appear one by one; it holds a lock of its own, training.run_lock.)
"""
import contextlib
import errno
import os
import shutil
import signal
import stat
import tempfile

from drumroll.cli import UserError, check_name, note
from gan_numpy.checkpoint import (FILE_KINDS, atomic_write,   # one implementation for all
                                  new_file_mode, write_target)

__all__ = ["atomic_write", "hold_lock", "output_file", "output_folder", "staged_folder",
           "write_target", "writing"]

FOLDER_LOCK = ".lock"           # held in a folder while a command writes into it
STAGING_PREFIX = ".staging-"    # the hidden folder a command writes into before moving in


def output_folder(folder):
    """Create `folder` (and its parents) if needed; UserError when it cannot be written to."""
    check_name(folder, "output folder")
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
    path must not name a folder, device, FIFO, socket or read-only file (atomic_write never
    replaces those).
    """
    check_name(path, "output file")
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


MAX_INPUT_BYTES = 100 * 2 ** 20   # a MIDI file of drums is kilobytes: an hour of an e-kit,
                                  # ten hits a second, is under a megabyte


def unreadable_input(path, what="file"):
    """Why `path` cannot be read as an input `what`, or None: it is a folder, a FIFO or a
    device (reading it would wait for ever, or never end) or larger than MAX_INPUT_BYTES. A
    missing file is left to the reader, which names it."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    for is_kind, kind in FILE_KINDS:
        if is_kind(status.st_mode):
            return f"is {kind}, not a {what}"
    if status.st_size > MAX_INPUT_BYTES:
        return (f"is {status.st_size / 2 ** 20:,.0f} MB, more than the {MAX_INPUT_BYTES // 2 ** 20}"
                " MB an input file may be")
    return None


# ------------------------------------------------------------------------------ locks

def process_is_running(pid):
    try:
        os.kill(pid, 0)                     # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:                 # it exists, run by another user
        return True
    return True


def lock_owner(path):
    """The process id written in a lock file, or None when it holds none (yet)."""
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def hold_lock(path, holder, advice, log=note):
    """Hold the lock file `path`, holding our process id, for as long as the block runs.

    The file is created exclusively (O_EXCL): of two processes starting at once only one gets
    it, and the other is refused in one line naming the first one's process id: '<folder>:
    <holder> (pid N) is using this folder; <advice>'. A lock left by a process that no longer
    runs (killed, machine restarted) is taken over, and log(message) says so.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    while True:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            pid = lock_owner(path)
            if pid is None:
                raise UserError(f"{folder}: {holder} is starting in this folder (its lock holds "
                                f"no process id yet); if none is, delete {path}") from None
            if process_is_running(pid):
                raise UserError(f"{folder}: {holder} (pid {pid}) is using this folder; "
                                f"{advice} (if pid {pid} is not one, delete {path})") from None
            log(f"{folder}: taking over the lock of pid {pid}, which is no longer running")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        except OSError as error:
            raise cannot_write(path, error) from None
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        yield
    finally:
        if lock_owner(path) == os.getpid():
            os.unlink(path)


# --------------------------------------------------------------------- staged folders

@contextlib.contextmanager
def interrupts_deferred():
    """Run the block to its end even if Ctrl-C or a kill's SIGTERM comes: the stop happens
    after it, as the signal's own handler makes it happen.

    For the few renames that move a staged folder in: stopped half-way, they would leave the
    very mix staging exists to prevent. (Outside the main thread signals cannot be caught;
    the block then simply runs.)
    """
    caught = []
    try:
        before = {number: signal.signal(number, lambda number, frame: caught.append(number))
                  for number in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:                      # not the main thread
        yield
        return
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    for number in caught[:1]:
        if callable(before[number]):
            before[number](number, None)    # Python's own SIGINT handler raises KeyboardInterrupt
        else:
            raise KeyboardInterrupt


def created_folders(folder):
    """Create `folder` and any missing parents -> those that did not exist, deepest last."""
    missing, path = [], os.path.abspath(folder)
    while not os.path.exists(path):
        missing.insert(0, path)
        path = os.path.dirname(path)
    output_folder(folder)
    return missing


def remove_if_empty(folders):
    """Remove the folders (deepest last) a failed command created, as long as they are empty."""
    for path in reversed(folders):
        try:
            os.rmdir(path)
        except OSError:         # not empty: someone else writes there now
            return


def move_file(staged, target):
    """Rename a staged file over `target`; into another file system (a symlink pointing
    there), copy it beside the target first."""
    try:
        os.replace(staged, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        with atomic_write(target) as handle, open(staged, "rb") as source:
            shutil.copyfileobj(source, handle)


class StagedFolder:
    """The files a command writes into `folder`, first into the private `staging` folder."""

    def __init__(self, folder, staging):
        self.folder = folder
        self.staging = staging

    def path(self, name):
        """Where to write the file `name` now: in the staging folder."""
        return os.path.join(self.staging, name)

    def commit(self, delete=()):
        """Move every staged file into the folder and delete the files named in `delete`.

        A staged file replaces the folder's file of the same name (the file a symlink names,
        keeping that file's permissions). Every target is checked first: one that is a
        folder, a FIFO, a device or read-only is refused before anything is moved. Ctrl-C
        waits until all is moved (interrupts_deferred).
        """
        names = sorted(os.listdir(self.staging))
        targets = []
        for name in names:
            path = os.path.join(self.folder, name)
            try:
                targets.append(write_target(path))
            except OSError as error:
                raise cannot_write(path, error) from None
        try:
            with interrupts_deferred():
                for name in sorted(set(delete) - set(names)):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(self.folder, name))
                for name, target in zip(names, targets):
                    staged = os.path.join(self.staging, name)
                    os.chmod(staged, new_file_mode(target))
                    move_file(staged, target)
        except OSError as error:
            raise cannot_write(self.folder, error) from None


def remove_leftover_staging(folder):
    """Delete staging folders a killed command left (we hold the folder's lock: no other
    command is writing into it)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.startswith(STAGING_PREFIX) and stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(folder, advice="wait for it or write into another folder"):
    """Write into `folder` by the rule of this module -> StagedFolder.

        with staged_folder(out) as stage:
            write(stage.path("a.mid"))        # into the hidden staging folder
            stage.commit()                    # now everything appears in `out`

    The folder (and missing parents) is created if needed, and removed again when the block
    fails while it is still empty. An error naming a file in the staging folder names it in
    the folder instead. Its lock FOLDER_LOCK is held throughout (hold_lock; a second
    command writing into the same folder is refused, with `advice`). The staging folder is
    deleted at the end whatever happens; without commit() nothing reaches the folder.
    """
    folder = os.fspath(check_name(folder, "output folder"))
    created = created_folders(folder)
    try:
        with hold_lock(os.path.join(folder, FOLDER_LOCK), "another drumgan command", advice):
            remove_leftover_staging(folder)
            try:
                staging = tempfile.mkdtemp(dir=folder, prefix=STAGING_PREFIX)
            except OSError as error:
                raise cannot_write(folder, error) from None
            try:
                yield StagedFolder(folder, staging)
            except UserError as error:      # name the file where it was to go, not the staging
                raise UserError(str(error).replace(staging + os.sep,
                                                   os.path.join(folder, ""))) from None
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        remove_if_empty(created)
        raise
