"""Drum-roll PNG files: write them atomically, read them back as validated uint8 grids.

A drum-roll image is 8-bit grayscale, NUM_ROWS pixels high (one row per note), one column per
32nd-note step, hit = black (0). Reading is forgiving about how an editor saved the picture
(RGB, alpha, 1-bit or 16-bit grayscale are converted) and strict about what matters: the height.
"""
import glob
import os

import imageio.v3 as iio
import numpy as np

from drumroll.cli import UserError
from drumroll.files import atomic_write
from drumroll.format import EMPTY_PIXEL, NUM_ROWS

IMAGE_SUFFIXES = (".png",)
LUMINANCE = np.array([0.299, 0.587, 0.114])   # ITU-R 601, as Pillow's convert("L")


def encode_png(pixels):
    """(rows, steps) uint8 -> PNG file contents (bytes)."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError(f"a drum-roll image is 2-D uint8, got {pixels.dtype} {pixels.shape}")
    return iio.imwrite("<bytes>", pixels, extension=".png", plugin="pillow")


def write_png(path, pixels):
    """Write a (rows, steps) uint8 image as a grayscale PNG, atomically."""
    data = encode_png(pixels)
    path = os.fspath(path)
    try:
        with atomic_write(path) as handle:
            handle.write(data)
    except OSError as error:
        raise UserError(f"{path}: cannot write ({error.strerror or error})") from None


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
