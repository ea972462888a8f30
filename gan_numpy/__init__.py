"""gan_numpy: a small neural-network engine in pure NumPy, written to be read.

kernels.py     convolution geometry, im2col / col2im and the matrix products (the hot paths)
layers.py      Dense, Conv2D, ConvTranspose2D, activations, BatchNorm, ...: forward + backward
network.py     Sequential, parameter counting, model summary
losses.py      binary cross-entropy from logits, hinge losses
optim.py       Adam and an exponential moving average of weights
checkpoint.py  save / load .npz checkpoints, atomically and without pickle
"""
import ctypes
import ctypes.util
import os


def reuse_freed_memory():
    """Ask glibc to keep freed memory for reuse instead of returning it to the system.

    A training step allocates and frees a few GB of activations and gradients. By default glibc
    gives every block over 32 MB fresh pages from the kernel and unmaps them on free, so each
    step pays page faults for all of them again: about a second per GB on a virtual machine,
    as much as the arithmetic of the original network's largest layer. Serving large blocks from
    the heap and never trimming it makes later steps reuse the same pages; peak memory does not
    grow, because a step's pattern of allocations repeats. A no-op where glibc is not the C
    library; set GAN_NUMPY_MALLOC=default to leave the allocator alone.
    """
    if os.environ.get("GAN_NUMPY_MALLOC") == "default":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_max = -1, -4       # from <malloc.h>
    return bool(mallopt(m_mmap_max, 0)) and bool(mallopt(m_trim_threshold, 2**31 - 1))


reuse_freed_memory()
