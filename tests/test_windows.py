"""Training windows: what a drum GAN reads of the data, with NumPy alone."""
import subprocess
import sys

import numpy as np

from drumroll.format import NUM_ROWS
from drumroll.windows import Windows, as_windows, used_rows


def test_used_rows_lists_rows_hit_at_least_once():
    images = np.full((2, NUM_ROWS, 8), 255, dtype=np.uint8)
    images[1, 13, 3] = 0
    images[0, 2, 0] = 0
    assert used_rows(images) == [2, 13]


def test_plain_images_are_taken_as_windows_of_images_only():
    images = np.full((3, NUM_ROWS, 256), 255, dtype=np.uint8)
    windows = as_windows(images)
    assert len(windows) == 3 and windows.velocities is None and windows.roles is None
    assert as_windows(windows) is windows and isinstance(windows, Windows)


def test_the_models_import_without_the_midi_library():
    blocked = ("import sys; sys.modules['mido'] = None; "
               "import drumroll.models, drumroll.models.song; print('ok')")
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
