"""An allocator setting for the processes that train: keep freed memory for reuse.

Nothing here runs on import; the entry points that train or benchmark call
`reuse_freed_memory()` themselves.
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
    grow, because a step's pattern of allocations repeats. Returns False (and changes nothing)
    where glibc is not the C library or when GAN_NUMPY_MALLOC=default is set.
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
