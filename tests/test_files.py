"""Output folders: created with their parents, or a one-line error."""
import pytest

from drumroll.cli import UserError
from drumroll.files import output_folder


def test_output_folder_creates_missing_parents(tmp_path):
    output_folder(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_output_folder_under_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "blocker").write_text("")
    with pytest.raises(UserError, match=r"blocker/out: cannot create output folder"):
        output_folder(tmp_path / "blocker" / "out")
