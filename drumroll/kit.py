"""A small drum kit synthesized with NumPy and SciPy: one sampled sound per kit voice.

Each voice is computed once (seeded noise, so the same kit every run) and kept as a float32
array that starts at the hit and ends in exact silence. `synth.py` mixes copies of them.
Every note a drum roll can hold (format.LOWEST_NOTE..HIGHEST_NOTE) maps to a voice in
NOTE_VOICES; the General MIDI extras (tambourine, cowbell, ...) borrow the nearest kit voice.

The recipes are the classic analogue-drum ones, kept short enough to read:
- kick, toms: a sine whose pitch falls quickly from above to its resting note, plus a click;
- snare: two drum-head tones plus band-passed noise for the wires;
- hi-hats: six detuned square waves (the TR-808 trick) and noise, high-passed, short or long;
- ride, bell: inharmonic sine partials, each with its own decay, over a quiet noise wash;
- crash, china, splash: long bright noise plus a cloud of random partials, decaying slowly.

Synthesizing takes a second or two, most of it importing scipy.signal, so the kit is kept in a
cache file between runs: <user cache folder>/drumgan/kit-<recipe hash>.npz (the user cache
folder is $XDG_CACHE_HOME, else ~/.cache). The hash covers this file's source and the NumPy and
SciPy versions, so a changed recipe or library makes a new kit; a missing, unreadable or
incomplete file is synthesized again and rewritten (atomically), and a cache that cannot be
written only means the next run synthesizes too. Plain rule: synthesize at every start.
Deleting the folder is always safe.
"""
import functools
import hashlib
import os

import numpy as np
import scipy    # the version only, for the cache key; scipy.signal is imported when synthesizing

from drumroll.files import atomic_write
from drumroll.format import HIGHEST_NOTE, KIT_PIECES, LOWEST_NOTE, NOTE_NAMES

SAMPLE_RATE = 44100
DECAY_TAIL_SECONDS = 3.0    # the longest voice: how long the last hit may ring after the music
ATTACK_SECONDS = 0.0005     # a ramp this short is heard as a hit, but avoids a DC step
RELEASE_SECONDS = 0.02      # every voice fades to exact zero over its last 20 ms

# Resting pitches (Hz) of the six toms, floor tom to high tom.
TOM_PITCHES = {41: 82.0, 43: 98.0, 45: 117.0, 47: 139.0, 48: 165.0, 50: 196.0}

# Note -> voice. Notes outside the kit pieces borrow the closest-sounding voice.
NOTE_VOICES = {
    36: "kick",
    37: "side stick", 38: "snare", 39: "snare", 40: "snare",
    42: "closed hi-hat", 44: "pedal hi-hat", 46: "open hi-hat",
    49: "crash", 52: "china", 55: "splash", 57: "crash 2",
    51: "ride", 53: "ride bell", 59: "ride 2",
    54: "closed hi-hat",    # tambourine: short metallic jingle
    56: "ride bell",        # cowbell: a clanging bell
    58: "splash",           # vibraslap: a short bright rattle
    60: "high tom",         # high bongo
}
NOTE_VOICES.update({note: NOTE_NAMES[note] for note in TOM_PITCHES})   # "low floor tom", ...

# A new hit on any of these notes silences the hi-hat still ringing (the player closes it).
CHOKE_NOTES = frozenset(KIT_PIECES["hi-hat"])

# Where each voice sits in a stereo mix, as the drummer hears the kit: -1 left .. +1 right.
VOICE_PAN = {
    "kick": 0.0, "snare": 0.0, "side stick": 0.0,
    "closed hi-hat": -0.5, "pedal hi-hat": -0.5, "open hi-hat": -0.5,
    "crash": -0.6, "splash": -0.35, "crash 2": 0.5, "china": 0.65,
    "ride": 0.55, "ride 2": 0.4, "ride bell": 0.55,
    "high tom": -0.3, "high-mid tom": -0.15, "low-mid tom": 0.0, "low tom": 0.15,
    "high floor tom": 0.35, "low floor tom": 0.5,
}

assert set(NOTE_VOICES) == set(range(LOWEST_NOTE, HIGHEST_NOTE + 1))


def _time(seconds):
    """Sample times (n,) in seconds for a sound of the given length."""
    return np.arange(int(round(seconds * SAMPLE_RATE))) / SAMPLE_RATE


def _noise(n, seed):
    return np.random.default_rng(seed).standard_normal(n)


def _bandpass(x, low, high, order=4):
    from scipy import signal    # a second to import: only when the kit is synthesized
    sos = signal.butter(order, [low, high], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    return signal.sosfilt(sos, x)


def _highpass(x, cutoff, order=4):
    from scipy import signal
    sos = signal.butter(order, cutoff, btype="highpass", fs=SAMPLE_RATE, output="sos")
    return signal.sosfilt(sos, x)


def _peak_one(x):
    return x / np.max(np.abs(x))


def _swept_sine(t, start_hz, end_hz, sweep_seconds):
    """A sine whose frequency glides exponentially from start_hz to end_hz."""
    frequency = end_hz + (start_hz - end_hz) * np.exp(-t / sweep_seconds)
    phase = 2 * np.pi * np.cumsum(frequency) / SAMPLE_RATE
    return np.sin(phase)


def _partials(t, frequencies, amplitudes, decays, seed):
    """Sum of decaying sines with random phases: the inharmonic ring of metal."""
    phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, len(frequencies))
    sound = np.zeros_like(t)
    for frequency, amplitude, decay, phase in zip(frequencies, amplitudes, decays, phases):
        sound += amplitude * np.exp(-t / decay) * np.sin(2 * np.pi * frequency * t + phase)
    return sound


def _metal(t, seed):
    """Six square waves at inharmonic pitches plus white noise (the TR-808 cymbal source)."""
    sound = 0.5 * _noise(len(t), seed)
    for frequency in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0):
        sound += np.sign(np.sin(2 * np.pi * frequency * t))
    return sound


def _finish(sound, level):
    """Shape the ends (short attack, fade to exact zero), set the peak to `level`, float32."""
    sound = _peak_one(sound)
    attack = max(1, int(ATTACK_SECONDS * SAMPLE_RATE))
    release = int(RELEASE_SECONDS * SAMPLE_RATE)
    sound[:attack] *= np.linspace(0.0, 1.0, attack, endpoint=False)
    sound[-release:] *= np.linspace(1.0, 0.0, release)
    return (level * _peak_one(sound)).astype(np.float32)


def kick():
    t = _time(0.5)
    body = _swept_sine(t, 160.0, 48.0, 0.03) * np.exp(-t / 0.13)
    click = _bandpass(_noise(len(t), 1), 1500, 9000) * np.exp(-t / 0.003)
    return _finish(body + 0.6 * _peak_one(click), 1.0)


def snare():
    t = _time(0.6)
    head = (np.sin(2 * np.pi * 185 * t) + 0.6 * np.sin(2 * np.pi * 330 * t)) * np.exp(-t / 0.06)
    wires = _bandpass(_noise(len(t), 2), 1500, 9500) * np.exp(-t / 0.12)
    return _finish(0.5 * _peak_one(head) + _peak_one(wires), 0.9)


def side_stick():
    t = _time(0.15)
    knock = (np.sin(2 * np.pi * 520 * t) + np.sin(2 * np.pi * 1720 * t)) * np.exp(-t / 0.015)
    click = _highpass(_noise(len(t), 3), 2000) * np.exp(-t / 0.002)
    return _finish(_peak_one(knock) + 0.5 * _peak_one(click), 0.5)


def tom(pitch_hz, seed=4):
    t = _time(1.0)
    body = _swept_sine(t, 1.5 * pitch_hz, pitch_hz, 0.04) * np.exp(-t / 0.3)
    stick = _bandpass(_noise(len(t), seed), 300, 5000) * np.exp(-t / 0.01)
    return _finish(body + 0.3 * _peak_one(stick), 0.85)


def hi_hat(decay_seconds, length_seconds, band, level, seed):
    t = _time(length_seconds)
    sound = _bandpass(_metal(t, seed), *band) * np.exp(-t / decay_seconds)
    return _finish(sound, level)


def closed_hi_hat():
    return hi_hat(0.035, 0.25, (6500, 16000), 0.35, seed=5)


def pedal_hi_hat():
    # the "chick" of two plates closing: darker and shorter than a stick hit
    return hi_hat(0.02, 0.15, (3000, 10000), 0.25, seed=6)


def open_hi_hat():
    return hi_hat(0.45, 1.6, (5500, 16000), 0.4, seed=7)


def ride(base_hz=480.0, seed=8):
    t = _time(DECAY_TAIL_SECONDS)
    ratios = np.array([1.0, 1.47, 2.09, 2.56, 3.11, 3.93, 4.72, 5.47, 6.63, 8.12])
    rng = np.random.default_rng(seed)
    amplitudes = rng.uniform(0.3, 1.0, len(ratios)) / np.sqrt(np.arange(1, len(ratios) + 1))
    decays = rng.uniform(0.6, 1.6, len(ratios))
    ring = _partials(t, base_hz * ratios, amplitudes, decays, seed)
    ping = _bandpass(_noise(len(t), seed), 3000, 12000) * np.exp(-t / 0.012)
    wash = _highpass(_noise(len(t), seed + 100), 5000) * np.exp(-t / 0.8)
    sound = _peak_one(ring) + 0.8 * _peak_one(ping) + 0.25 * _peak_one(wash)
    return _finish(sound, 0.4)


def ride_2():
    return ride(base_hz=430.0, seed=9)


def ride_bell():
    t = _time(DECAY_TAIL_SECONDS)
    ratios = np.array([1.0, 2.32, 2.97, 4.25, 5.4, 6.79])
    amplitudes = np.array([1.0, 0.8, 0.5, 0.45, 0.3, 0.2])
    decays = np.array([1.4, 1.1, 0.9, 0.7, 0.5, 0.4])
    ring = _partials(t, 760.0 * ratios, amplitudes, decays, seed=10)
    ping = _highpass(_noise(len(t), 10), 4000) * np.exp(-t / 0.005)
    return _finish(_peak_one(ring) + 0.3 * _peak_one(ping), 0.5)


def crash_cymbal(decay_seconds, length_seconds, band, level, seed, partial_range=(300, 9000)):
    """Bright noise plus forty random partials: the dense shimmer of a thin cymbal."""
    t = _time(length_seconds)
    rng = np.random.default_rng(seed)
    frequencies = rng.uniform(*partial_range, 40)
    decays = decay_seconds * rng.uniform(0.5, 1.0, 40)
    shimmer = _partials(t, frequencies, rng.uniform(0.2, 1.0, 40), decays, seed)
    noise = _bandpass(_noise(len(t), seed + 100), *band) * np.exp(-t / decay_seconds)
    return _finish(_peak_one(noise) + 0.35 * _peak_one(shimmer), level)


def crash():
    return crash_cymbal(1.0, DECAY_TAIL_SECONDS, (2500, 16000), 0.55, seed=11)


def crash_2():
    return crash_cymbal(0.85, DECAY_TAIL_SECONDS, (3000, 17000), 0.55, seed=12)


def splash():
    return crash_cymbal(0.3, 1.2, (4000, 17000), 0.45, seed=13, partial_range=(1000, 12000))


def china():
    # trashy: the noise is ring-modulated by low metal partials, which makes it growl
    t = _time(DECAY_TAIL_SECONDS)
    trash = _partials(t, [287.0, 433.0, 612.0, 871.0], [1.0, 0.8, 0.7, 0.5], [2.0] * 4, seed=14)
    noise = _bandpass(_noise(len(t), 114), 1200, 11000) * np.exp(-t / 0.7)
    sound = noise * (0.4 + _peak_one(trash)) + 0.2 * _peak_one(trash) * np.exp(-t / 0.7)
    return _finish(sound, 0.55)


VOICE_BUILDERS = {
    "kick": kick,
    "snare": snare,
    "side stick": side_stick,
    "closed hi-hat": closed_hi_hat,
    "pedal hi-hat": pedal_hi_hat,
    "open hi-hat": open_hi_hat,
    "ride": ride,
    "ride 2": ride_2,
    "ride bell": ride_bell,
    "crash": crash,
    "crash 2": crash_2,
    "china": china,
    "splash": splash,
}
VOICE_BUILDERS.update({NOTE_NAMES[note]: functools.partial(tom, pitch)
                       for note, pitch in TOM_PITCHES.items()})


def synthesize_kit():
    """Every voice computed from its recipe: {voice name: float32 samples (n,)}."""
    return {name: build() for name, build in VOICE_BUILDERS.items()}


def kit_cache_path():
    """The cache file of this recipe's kit (see the module docstring)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "drumgan", f"kit-{recipe_hash()}.npz")


def recipe_source():
    """The bytes of this file: the recipes, their parameters and seeds."""
    with open(__file__, "rb") as handle:
        return handle.read()


def recipe_hash():
    """Short hash of the recipe source and the library versions that compute it."""
    digest = hashlib.sha256(recipe_source())
    digest.update(f"numpy {np.__version__} scipy {scipy.__version__}".encode())
    return digest.hexdigest()[:16]


def load_kit(path):
    """The kit saved at `path`, or None when it is missing, unreadable or not a whole kit."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            kit = {name: saved[name] for name in saved.files}
    except Exception:   # missing, truncated, not a zip file, bad CRC...: synthesize again
        return None
    if set(kit) != set(VOICE_BUILDERS):
        return None
    for samples in kit.values():
        if samples.dtype != np.float32 or samples.ndim != 1 or len(samples) == 0:
            return None
    return kit


def save_kit(path, kit):
    """Keep `kit` at `path` for the next runs, and delete the kits of other recipes beside it.

    Written atomically, so a reader never sees half a file; a folder that cannot be written is
    not an error (the next run synthesizes the kit again).
    """
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        with atomic_write(path) as handle:
            np.savez(handle, **kit)
        stale = [name for name in os.listdir(folder) if name.startswith("kit-")
                 and name.endswith(".npz") and name != os.path.basename(path)]
        for name in stale:
            os.remove(os.path.join(folder, name))
    except OSError:
        pass


@functools.lru_cache(maxsize=1)
def build_kit():
    """Every voice, once per process: {voice name: read-only float32 samples (n,)}.

    Read from the cache file when it holds this recipe's kit, else synthesized and cached.
    """
    path = kit_cache_path()
    kit = load_kit(path)
    if kit is None:
        kit = synthesize_kit()
        save_kit(path, kit)
    for samples in kit.values():
        samples.setflags(write=False)   # shared by every render: nobody may change it
    return kit


def note_sample(note):
    """The sound (n,) float32 of one hit at full velocity on `note`."""
    return build_kit()[NOTE_VOICES[note]]


def note_pan_gains(note):
    """(left, right) float32 gains of `note`'s voice: constant power, so loudness never
    depends on where a drum sits; a centred voice gets 1/sqrt(2) on each side."""
    angle = (VOICE_PAN[NOTE_VOICES[note]] + 1) * np.pi / 4    # 0 = hard left, pi/2 = right
    return np.array([np.cos(angle), np.sin(angle)], dtype=np.float32)
