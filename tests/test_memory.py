"""The opt-in allocator setting: nothing on import, off on request."""
import subprocess
import sys

from gan_numpy.memory import reuse_freed_memory


def test_importing_the_engine_does_not_touch_the_allocator():
    code = ("import sys, gan_numpy, gan_numpy.checkpoint, gan_numpy.gan, gan_numpy.kernels, "
            "gan_numpy.layers, gan_numpy.losses, gan_numpy.network, gan_numpy.optim; "
            "print('gan_numpy.memory' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_the_allocator_setting_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("GAN_NUMPY_MALLOC", "default")
    assert reuse_freed_memory() is False
    monkeypatch.delenv("GAN_NUMPY_MALLOC")
    assert isinstance(reuse_freed_memory(), bool)
