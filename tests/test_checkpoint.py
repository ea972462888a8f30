"""Checkpoints: exact round trips, no pickle, atomic writes, one clear error for bad files."""
import json
import os
import socket
import stat

import numpy as np
import pytest

from gan_numpy import layers as L
from gan_numpy.checkpoint import (CheckpointError, NotARegularFile, ReadOnlyFile, atomic_write,
                                  load_checkpoint, restore, rng_state, save_checkpoint,
                                  set_rng_state)
from gan_numpy.layers import Sequential
from gan_numpy.optim import Adam


def network(seed):
    return Sequential(L.Conv2D(1, 4, 3, 2, rng=seed), L.BatchNorm(4), L.LeakyReLU(0.2),
                      L.SpectralNorm(L.Conv2D(4, 2, 3, rng=seed + 1), rng=seed), L.Flatten(),
                      L.Dense(2 * 3 * 4, 1, rng=seed + 2))


def test_round_trip_reproduces_outputs_exactly(tmp_path):
    x = np.random.default_rng(0).standard_normal((3, 1, 6, 8)).astype(np.float32)
    net = network(0)
    net.forward(x)
    rng = np.random.default_rng(42)
    meta = {"arch": {"name": "tiny", "channels": [1, 4, 2]}, "step": 7, "rng": rng_state(rng)}
    save_checkpoint(tmp_path / "c.npz", net.state_dict(), meta)
    arrays, loaded_meta = load_checkpoint(tmp_path / "c.npz")
    assert loaded_meta["arch"] == meta["arch"] and loaded_meta["step"] == 7
    copy = network(5)
    restore(copy, {"G." + k: v for k, v in arrays.items()}, "G.", tmp_path / "c.npz")
    np.testing.assert_array_equal(net.eval().forward(x), copy.eval().forward(x))
    fresh = np.random.default_rng(0)
    set_rng_state(fresh, loaded_meta["rng"])
    assert fresh.random() == rng.random()


def test_optimizer_state_survives_a_round_trip(tmp_path):
    net = network(0)
    for _, layer in net.named_layers():
        layer.grads = {k: np.ones_like(p) for k, p in layer.params.items()}
    opt = Adam(net)
    opt.step()
    save_checkpoint(tmp_path / "c.npz", opt.state_dict(), {})
    restored = Adam(net)
    restored.load_state_dict(load_checkpoint(tmp_path / "c.npz")[0])
    assert restored.t == 1
    for key, value in opt.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[key], value)


def test_metadata_is_plain_json_and_loads_without_pickle(tmp_path):
    save_checkpoint(tmp_path / "c.npz", {"w": np.ones(2)}, {"step": 3})
    with np.load(tmp_path / "c.npz", allow_pickle=False) as data:
        assert json.loads(str(data["__meta__"])) == {"step": 3}


def test_object_arrays_are_refused(tmp_path):
    with pytest.raises(ValueError):
        save_checkpoint(tmp_path / "c.npz", {"w": np.array([{}], dtype=object)}, {})
    assert not os.listdir(tmp_path)


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"w": np.ones(2)}, {"step": 1})
    with pytest.raises(TypeError):
        save_checkpoint(path, {"w": np.zeros(2)}, {"step": object()})
    assert load_checkpoint(path)[1] == {"step": 1}
    assert os.listdir(tmp_path) == ["c.npz"]


def test_missing_file_gives_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="nothere.npz: no such file"):
        load_checkpoint(tmp_path / "nothere.npz")


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04garbage"])
def test_corrupt_file_gives_checkpoint_error(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="bad.npz"):
        load_checkpoint(path)


def test_truncated_file_gives_checkpoint_error(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"w": np.ones(1000)}, {"step": 1})
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(CheckpointError, match="c.npz"):
        load_checkpoint(path)


def test_npz_without_metadata_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.ones(2))
    with pytest.raises(CheckpointError, match="no metadata"):
        load_checkpoint(path)


def test_pickled_arrays_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.array([{"x": 1}], dtype=object), __meta__=np.array("{}"))
    with pytest.raises(CheckpointError, match="evil.npz"):
        load_checkpoint(path)


def test_mismatched_network_gives_checkpoint_error(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, network(0).state_dict(), {})
    other = Sequential(L.Dense(3, 1))
    with pytest.raises(CheckpointError, match="c.npz: does not fit the network"):
        restore(other, load_checkpoint(path)[0], "", path)


def test_weights_with_nan_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "c.npz"
    arrays = network(0).state_dict()
    arrays["5.W"][0, 0] = np.nan
    save_checkpoint(path, arrays, {})
    with pytest.raises(CheckpointError, match=r"c\.npz: holds NaN or infinite values \(5\.W\); "
                                              "the run diverged"):
        restore(network(1), load_checkpoint(path)[0], "", path)


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


def test_a_file_that_is_not_an_npz_archive_is_named_as_such(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("junk\n")
    with pytest.raises(CheckpointError, match=r"notes\.npz: not a checkpoint \(not an \.npz archive\)"):
        load_checkpoint(path)


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


def test_atomic_write_through_a_symlink_writes_the_file_it_names_and_keeps_the_link(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "target.wav"
    target.write_bytes(b"old")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    with atomic_write(link) as handle:
        handle.write(b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path / "elsewhere")) == ["target.wav"]   # no temp file left


def test_atomic_write_through_a_dangling_symlink_creates_the_file_it_names(tmp_path):
    link = tmp_path / "link.wav"
    link.symlink_to(tmp_path / "new.wav")
    with atomic_write(link) as handle:
        handle.write(b"new")
    assert link.is_symlink() and (tmp_path / "new.wav").read_bytes() == b"new"


def test_atomic_write_refuses_a_fifo_and_leaves_it_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile, match="is a FIFO .named pipe., not a regular file"):
        with atomic_write(fifo) as handle:
            handle.write(b"data")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_atomic_write_refuses_a_folder_and_leaves_it_alone(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep").write_text("x")
    with pytest.raises(NotARegularFile, match="is a folder, not a regular file"):
        with atomic_write(tmp_path / "out") as handle:
            handle.write(b"data")
    assert (tmp_path / "out" / "keep").read_text() == "x"


def test_atomic_write_refuses_a_socket(tmp_path):
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(NotARegularFile, match="is a socket"):
            with atomic_write(path) as handle:
                handle.write(b"data")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_atomic_write_through_a_link_to_a_device_refuses_and_replaces_neither(tmp_path):
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    with pytest.raises(NotARegularFile, match="is a character device, not a regular file"):
        with atomic_write(link) as handle:
            handle.write(b"data")
    assert link.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "private.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    with atomic_write(path) as handle:
        handle.write(b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_atomic_write_refuses_a_read_only_file_and_leaves_it_and_its_links_alone(tmp_path):
    path = tmp_path / "ro.wav"
    path.write_bytes(b"keep")
    os.chmod(path, 0o444)
    os.link(path, tmp_path / "hard link.wav")
    with pytest.raises(ReadOnlyFile, match="is read-only; not replaced"):
        with atomic_write(path) as handle:
            handle.write(b"new")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444 and path.read_bytes() == b"keep"
    assert os.path.samefile(path, tmp_path / "hard link.wav")
    assert sorted(os.listdir(tmp_path)) == ["hard link.wav", "ro.wav"]


def test_atomic_write_writes_a_file_whose_name_is_as_long_as_a_name_can_be(tmp_path):
    path = tmp_path / ("é" * 125 + ".wav")               # 254 bytes of UTF-8
    with atomic_write(path) as handle:
        handle.write(b"x")
    assert os.listdir(tmp_path) == [path.name]
