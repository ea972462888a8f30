"""Writing files so that a crash or a bad input never leaves half of one behind."""
import os

from drumroll.cli import UserError
from gan_numpy.checkpoint import atomic_write   # one implementation for the whole project

__all__ = ["atomic_write", "output_folder"]


def output_folder(folder):
    """Create `folder` (and its parents) if needed; UserError when it cannot be written to."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UserError(f"{folder}: cannot create output folder ({error.strerror or error})") from None
    if not os.access(folder, os.W_OK):
        raise UserError(f"{folder}: output folder is not writable")
    return folder
