"""Output folders and files: created with their parents, checked early, or a one-line error;
a folder a command writes is staged, moved in at the end, and has one writer at a time."""
import os
import pathlib
import signal
import stat
import subprocess
import sys

import pytest

from drumroll import cli, files
from drumroll.cli import UserError
from drumroll.files import output_file, output_folder, staged_folder, writing


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


# ------------------------------------------- a folder a command writes: staged, one writer

def test_a_staged_folder_shows_nothing_until_commit_and_everything_after(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out) as stage:
        (pathlib.Path(stage.path("a.mid"))).write_bytes(b"a")
        assert sorted(os.listdir(out)) == [".lock", os.path.basename(stage.staging)]
        stage.commit()
    assert os.listdir(out) == ["a.mid"]               # no lock, no staging folder left


def test_a_failure_before_commit_removes_the_folders_it_created(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(tmp_path / "new" / "out") as stage:
            pathlib.Path(stage.path("a.mid")).write_bytes(b"a")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_a_failure_before_commit_leaves_an_existing_folder_as_it_was(tmp_path):
    (tmp_path / "old.mid").write_bytes(b"old")
    with pytest.raises(UserError):
        with staged_folder(tmp_path) as stage:
            pathlib.Path(stage.path("old.mid")).write_bytes(b"new")
            raise UserError("disk full")
    assert os.listdir(tmp_path) == ["old.mid"] and (tmp_path / "old.mid").read_bytes() == b"old"


def test_a_second_writer_of_a_folder_is_refused_naming_the_first(tmp_path):
    with staged_folder(tmp_path):
        with pytest.raises(UserError, match=rf"{tmp_path}: another drumgan command "
                                            rf"\(pid {os.getpid()}\) is using this folder"):
            with staged_folder(tmp_path):
                pass
    with staged_folder(tmp_path):                      # released: the next one may write
        pass


def test_a_lock_and_staging_left_by_a_killed_command_are_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".lock").write_text(f"{dead.pid}\n")
    (tmp_path / ".staging-left").mkdir()
    (tmp_path / ".staging-left" / "half.png").write_bytes(b"half")
    with staged_folder(tmp_path) as stage:
        assert sorted(os.listdir(tmp_path)) == [".lock", os.path.basename(stage.staging)]
    assert os.listdir(tmp_path) == []


def test_commit_deletes_what_it_is_told_and_replaces_files_of_the_same_name(tmp_path):
    (tmp_path / "stale.png").write_bytes(b"stale")
    (tmp_path / "kept.txt").write_bytes(b"mine")
    (tmp_path / "a.png").write_bytes(b"old")
    with staged_folder(tmp_path) as stage:
        pathlib.Path(stage.path("a.png")).write_bytes(b"new")
        stage.commit(delete=["stale.png", "a.png"])
    assert sorted(os.listdir(tmp_path)) == ["a.png", "kept.txt"]
    assert (tmp_path / "a.png").read_bytes() == b"new"


def test_commit_keeps_the_permissions_of_a_file_it_replaces_and_follows_symlinks(tmp_path):
    (tmp_path / "real.png").write_bytes(b"old")
    os.chmod(tmp_path / "real.png", 0o600)
    (tmp_path / "a.png").symlink_to(tmp_path / "real.png")
    with staged_folder(tmp_path) as stage:
        pathlib.Path(stage.path("a.png")).write_bytes(b"new")
        stage.commit()
    assert (tmp_path / "a.png").is_symlink() and (tmp_path / "real.png").read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(tmp_path / "real.png").st_mode) == 0o600


@pytest.mark.parametrize("make, message", [
    (os.mkfifo, r"is a FIFO \(named pipe\), not a regular file"),
    (lambda path: (path.write_bytes(b"old"), os.chmod(path, 0o444)), "is read-only")])
def test_commit_refuses_a_target_it_may_not_replace_before_moving_anything(tmp_path, make,
                                                                        message):
    make(tmp_path / "b.png")
    with pytest.raises(UserError, match=rf"b\.png: cannot write \({message}"):
        with staged_folder(tmp_path) as stage:
            for name in ("a.png", "b.png"):
                pathlib.Path(stage.path(name)).write_bytes(b"new")
            stage.commit()
    assert os.listdir(tmp_path) == ["b.png"]


@pytest.mark.parametrize("number, stop", [(signal.SIGINT, KeyboardInterrupt),
                                          (signal.SIGTERM, cli.Terminated)])
def test_ctrl_c_or_a_kill_while_moving_in_waits_until_everything_is_moved(tmp_path, monkeypatch,
                                                                         number, stop):
    real_move = files.move_file

    def move_then_signal(staged, target):
        os.kill(os.getpid(), number)
        real_move(staged, target)

    monkeypatch.setattr(files, "move_file", move_then_signal)
    before = signal.signal(signal.SIGTERM, cli.terminate)      # as cli.run has it
    try:
        with pytest.raises(stop):
            with staged_folder(tmp_path) as stage:
                for name in ("a", "b", "c"):
                    pathlib.Path(stage.path(name)).write_bytes(b"x")
                stage.commit()
    finally:
        signal.signal(signal.SIGTERM, before)
    assert sorted(os.listdir(tmp_path)) == ["a", "b", "c"]


def test_an_error_writing_a_staged_file_names_the_file_in_the_folder(tmp_path):
    with pytest.raises(UserError) as error:
        with staged_folder(tmp_path / "out") as stage:
            raise files.cannot_write(stage.path("a.mid"), OSError(28, "No space left on device"))
    assert str(error.value) == (f"{tmp_path / 'out' / 'a.mid'}: cannot write (No space left on "
                                "device)")
