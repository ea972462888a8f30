"""Atomic writes: all of the new file or none of it."""
import os
import stat

import pytest

from drumroll.cli import UserError
from drumroll.files import atomic_write, output_folder


def test_atomic_write_replaces_the_file_on_success(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with atomic_write(path) as handle:
        handle.write(b"new")
    assert path.read_bytes() == b"new"


def test_atomic_write_keeps_the_old_file_and_no_temp_file_on_error(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as handle:
            handle.write(b"half")
            raise RuntimeError("crash while writing")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_write_gives_the_permissions_of_a_plain_open(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "out.bin") as handle:
            handle.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "out.bin").st_mode) == 0o644


def test_output_folder_creates_missing_parents(tmp_path):
    output_folder(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_output_folder_under_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "blocker").write_text("")
    with pytest.raises(UserError, match=r"blocker/out: cannot create output folder"):
        output_folder(tmp_path / "blocker" / "out")
