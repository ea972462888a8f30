"""Output folders and files: created with their parents, checked early, or a one-line error."""
import os

import pytest

from drumroll.cli import UserError
from drumroll.files import output_file, output_folder, writing


def test_output_folder_creates_missing_parents(tmp_path):
    output_folder(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_output_folder_under_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "blocker").write_text("")
    with pytest.raises(UserError, match=r"blocker/out: cannot create output folder"):
        output_folder(tmp_path / "blocker" / "out")


def test_writing_turns_a_failure_into_a_one_line_error_naming_the_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UserError, match=r"pipe: cannot write \(is a FIFO \(named pipe\), not a "
                                        r"regular file; not replaced\)"):
        with writing(tmp_path / "pipe") as handle:
            handle.write(b"x")


def test_output_file_refuses_a_missing_folder_and_accepts_a_new_file(tmp_path):
    assert output_file(tmp_path / "new.md") == tmp_path / "new.md"
    with pytest.raises(UserError, match=r"t\.md: cannot write \(no such folder: .*missing\)"):
        output_file(tmp_path / "missing" / "t.md")
