"""Drum-roll PNG files: write them atomically, read them back as validated uint8 grids.

A drum-roll image is 8-bit grayscale, NUM_ROWS pixels high (one row per note), one column per
32nd-note step, hit = black (0). Reading (through imageio) is forgiving about how an editor
saved the picture (RGB, alpha, 1-bit or 16-bit grayscale are converted) and strict about what
matters: the height.

Writing uses a ten-line PNG encoder instead of imageio: a dataset is thousands of tiny images,
and imageio's per-call plugin set-up costs about 250 us each, five times the encoding itself,
which alone would break midi2img's speed goal. The format is simple enough to write by hand.
"""
import glob
import os
import struct
import zlib

import imageio.v3 as iio
import numpy as np

from drumroll.cli import UserError
from drumroll.files import writing
from drumroll.format import EMPTY_PIXEL, NUM_ROWS

IMAGE_SUFFIXES = (".png",)
LUMINANCE = np.array([0.299, 0.587, 0.114])   # ITU-R 601, as Pillow's convert("L")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAYSCALE_8_BIT = (8, 0, 0, 0, 0)   # bit depth, colour type, compression, filter, interlace
ZLIB_LEVEL = 1    # mostly-white rows compress well even at the fastest level (~270 bytes)


def png_chunk(kind, data):
    """length, type, data, CRC of type + data: the building block of a PNG file."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels):
    """(rows, steps) uint8 -> PNG file contents (bytes), 8-bit grayscale."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.dtype != np.uint8 or 0 in pixels.shape:
        raise ValueError(f"a drum-roll image is 2-D uint8, got {pixels.dtype} {pixels.shape}")
    height, width = pixels.shape
    scanlines = np.zeros((height, width + 1), dtype=np.uint8)   # each row starts with its
    scanlines[:, 1:] = pixels                                    # filter type, 0 = none
    header = struct.pack(">II5B", width, height, *GRAYSCALE_8_BIT)
    return (PNG_SIGNATURE + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(scanlines.tobytes(), ZLIB_LEVEL))
            + png_chunk(b"IEND", b""))


def write_png(path, pixels):
    """Write a (rows, steps) uint8 image as a grayscale PNG, atomically."""
    data = encode_png(pixels)
    with writing(path) as handle:
        handle.write(data)


def same_contents(path, data):
    """True when the file at path already holds exactly these bytes."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(data) + 1) == data
    except OSError:
        return False


def write_pngs(staging, names, images, progress=None, beside=None):
    """Write images (N, rows, steps) uint8 as <staging>/<name>.png, to be moved into the
    folder `beside` by files.StagedFolder.commit (which checks and replaces the targets).

    The staging folder is private until it is moved in, so each PNG is written straight into
    it with plain system calls (a Python file object costs 20% more; one temporary file per
    image, as atomic_write makes, costs more than the encoding). A PNG that `beside` already
    holds with exactly the same image is not written at all, so moving in leaves it untouched:
    replacing a file (freeing its blocks) can cost a hundred times more than reading it.
    progress: optional cli.Progress.
    """
    shown = staging                     # the file named when writing fails: its destination
    try:
        for index, (name, pixels) in enumerate(zip(names, images)):
            data = encode_png(pixels)
            shown = os.path.join(beside or staging, name + ".png")
            if beside is None or not same_contents(shown, data):
                descriptor = os.open(os.path.join(staging, name + ".png"),
                                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                try:
                    os.write(descriptor, data)
                finally:
                    os.close(descriptor)
            if progress is not None:
                progress.update(index + 1)
    except OSError as error:
        raise UserError(f"{shown}: cannot write ({error.strerror or error})") from None


def to_grayscale(pixels):
    """Any image array imageio returns -> (rows, steps) uint8, or None when it cannot be."""
    if pixels.dtype == bool:
        pixels = np.where(pixels, 255, 0).astype(np.uint8)
    elif pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        return None
    if pixels.ndim == 2:
        return pixels
    if pixels.ndim != 3 or pixels.shape[2] not in (2, 3, 4):
        return None
    channels = pixels.shape[2]
    colour = pixels[..., :3] if channels >= 3 else pixels[..., :1]
    if channels >= 3 and not (np.array_equal(colour[..., 0], colour[..., 1])
                              and np.array_equal(colour[..., 0], colour[..., 2])):
        gray = colour @ LUMINANCE                                # (rows, steps)
    else:
        gray = colour[..., 0].astype(np.float64)
    if channels in (2, 4):                                       # transparent = white = no hit
        alpha = pixels[..., -1] / 255.0
        gray = gray * alpha + EMPTY_PIXEL * (1.0 - alpha)
    return np.round(gray).astype(np.uint8)


def read_png(path, height=NUM_ROWS):
    """Read a drum-roll image -> (height, steps) uint8, 0 = hit.

    Colour images are converted to gray by luminance; UserError (naming the file) when the
    file is not an image or its height is not `height`.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such image file")
    try:
        pixels = iio.imread(path, plugin="pillow")
    except Exception as error:   # imageio and Pillow raise many kinds of errors on bad input
        reason = str(error)
        if "can not handle" in reason or not reason:
            reason = "unknown file format"
        raise UserError(f"{path}: not a readable image ({reason})") from None
    gray = to_grayscale(np.asarray(pixels))
    if gray is None:
        raise UserError(f"{path}: unsupported image layout {pixels.dtype} {pixels.shape} "
                        f"(expected 8-bit grayscale)")
    if gray.shape[0] != height:
        raise UserError(f"{path}: image is {gray.shape[0]} pixels high, a drum roll is {height} "
                        f"(one row per note)")
    if gray.shape[1] == 0:
        raise UserError(f"{path}: image has no columns")
    return gray


def find_images(patterns):
    """Expand files, folders (every *.png inside, recursively) and glob patterns, in order.

    Raises UserError for an argument that matches nothing.
    """
    found = []
    for pattern in patterns:
        pattern = os.fspath(pattern)
        if os.path.isdir(pattern):
            matches = sorted(glob.glob(os.path.join(glob.escape(pattern), "**", "*"),
                                       recursive=True))
            matches = [path for path in matches if path.lower().endswith(IMAGE_SUFFIXES)]
            if not matches:
                raise UserError(f"{pattern}: no .png images in this folder")
        elif os.path.exists(pattern):
            matches = [pattern]
        else:
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise UserError(f"{pattern}: no such file")
        found.extend(matches)
    return list(dict.fromkeys(found))   # each file once, first occurrence wins
