"""Render drum MIDI to a WAV file with the synthesized kit of `kit.py`, to hear a pattern at once.

    render_midi_file("song.mid", "song.wav")      # any drum MIDI -> 44.1 kHz 16-bit stereo WAV
    audio = render_hits([Hit(0.0, 36, 100), Hit(0.5, 38, 100)])   # float32 (n,), for tests

Rendering is a mix: each hit adds a copy of its voice's precomputed sound, scaled by velocity,
at its onset sample. Sounds overlap as on a real kit (a cymbal rings under the next hits),
except the hi-hat, whose new hit chokes the one still ringing. In stereo each voice sits at
its place in the kit (kit.VOICE_PAN). The mix is peak-normalized below full scale, so it never
clips, and everything is deterministic: same MIDI, same bytes.

The MIDI file is read by midi_scan.scan_drum_notes, which keeps only the drum note-ons and the
timing, instead of building and merging a mido message object per event (plain rule: iterate
the mido.MidiFile); mido still reads any file the fast reader declines. Same hits, same times.
"""
import collections
import os

import numpy as np
from scipy.io import wavfile

from drumroll.cli import UserError
from drumroll.files import atomic_write
from drumroll.format import DRUM_CHANNEL, FOLDED_NOTES
from drumroll.kit import (CHOKE_NOTES, DECAY_TAIL_SECONDS, NOTE_VOICES, SAMPLE_RATE, note_pan_gains,
                          note_sample)
from drumroll.midi_scan import Declined, scan_drum_notes

PEAK = 0.89                 # about -1 dBFS: loud, never at full scale
CHOKE_FADE_SECONDS = 0.005  # a choked hi-hat fades out this fast instead of clicking off
MAX_SECONDS = 3600          # longer is a broken file (a stereo hour already takes 3 GB to mix)

Hit = collections.namedtuple("Hit", "time note velocity")   # seconds, MIDI note, 1..127
RenderInfo = collections.namedtuple("RenderInfo", "hits seconds ignored_notes")


def hit_gain(velocity):
    """Amplitude of a hit: proportional to velocity, full voice level at 127."""
    return min(max(int(velocity), 0), 127) / 127.0


def mix_hits(hits, num_samples, stereo=False):
    """Add every hit's sound into a silent float32 buffer; not normalized.

    Returns (num_samples,), or (num_samples, 2) left and right when `stereo`.

    `hits` are Hit (or (time, note, velocity)) with notes in NOTE_VOICES. Hits that start past
    the end are dropped; sounds running past it are cut.
    """
    hits = sorted(Hit(*hit) for hit in hits if hit[2] > 0)
    unknown = sorted({hit.note for hit in hits} - set(NOTE_VOICES))
    if unknown:
        raise ValueError(f"no kit voice for notes {unknown}")
    onsets = np.array([int(round(hit.time * SAMPLE_RATE)) for hit in hits], dtype=np.int64)

    # Where each hi-hat hit is choked: at the onset of the next, strictly later, hi-hat hit.
    is_hi_hat = np.array([hit.note in CHOKE_NOTES for hit in hits], dtype=bool)
    hi_hat_onsets = onsets[is_hi_hat]   # sorted, since hits are
    fade = int(CHOKE_FADE_SECONDS * SAMPLE_RATE)
    fade_out = np.linspace(1.0, 0.0, fade, endpoint=False, dtype=np.float32)

    # stereo mixes into two contiguous rows: adding into (n, 2) columns is many times slower
    out = np.zeros((2, num_samples) if stereo else num_samples, dtype=np.float32)
    for hit, onset, hi_hat in zip(hits, onsets, is_hi_hat):
        if not 0 <= onset < num_samples:
            continue
        sound = note_sample(hit.note)
        length = min(len(sound), num_samples - onset)
        sound = sound[:length]
        if hi_hat:
            later = np.searchsorted(hi_hat_onsets, onset, side="right")
            if later < len(hi_hat_onsets) and hi_hat_onsets[later] - onset < length:
                sound = _choke(sound, hi_hat_onsets[later] - onset, fade_out)
        gain = hit_gain(hit.velocity)
        if stereo:
            left, right = gain * note_pan_gains(hit.note)
            out[0, onset:onset + len(sound)] += left * sound
            out[1, onset:onset + len(sound)] += right * sound
        else:
            out[onset:onset + len(sound)] += gain * sound
    return np.ascontiguousarray(out.T) if stereo else out    # (num_samples, 2) or (num_samples,)


def _choke(sound, at, fade_out):
    """`sound` cut at sample `at`: it fades to silence over len(fade_out) samples from there."""
    end = min(len(sound), at + len(fade_out))
    sound = sound[:end].copy()
    sound[at:] *= fade_out[:end - at]
    return sound


def render_hits(hits, seconds=None, stereo=False):
    """Hits -> peak-normalized float32 audio at SAMPLE_RATE, every |sample| <= PEAK.

    Returns (n,) mono, or (n, 2) left and right when `stereo`.

    `seconds` is the length of the music; the audio lasts that long plus DECAY_TAIL_SECONDS
    so the last hits ring out. By default the music ends at the last hit.
    """
    hits = list(hits)
    if seconds is None:
        seconds = max((hit[0] for hit in hits), default=0.0)
    audio = mix_hits(hits, int(round((seconds + DECAY_TAIL_SECONDS) * SAMPLE_RATE)), stereo)
    peak = float(np.max(np.abs(audio), initial=0.0))
    if peak > 0:
        audio *= PEAK / peak
    return audio


def to_int16(audio):
    """Float audio in [-1, 1] -> 16-bit PCM samples."""
    return np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)


def drum_note_ons(midi_path):
    """(onsets, seconds): the channel-10 note-ons of a MIDI file as (seconds, note, velocity),
    in playing order, and the length of the file in seconds. UserError for a bad file.

    The fast reader (midi_scan) handles ordinary files; anything it declines, from a broken
    file to a type 2 one, is read by mido as before, which gives the same onsets or the same
    error message.
    """
    try:
        return scan_drum_notes(midi_path, DRUM_CHANNEL)
    except Declined:
        return drum_note_ons_with_mido(midi_path)


def drum_note_ons_with_mido(midi_path):
    """drum_note_ons the plain way: mido merges the tracks and times every message."""
    from drumroll.midi_in import read_midi      # imports mido (0.1 s): only when needed
    midi = read_midi(midi_path)
    try:
        messages = list(midi)   # merges the tracks; message.time becomes seconds since the last
    except TypeError:           # mido refuses to merge the tracks of a type 2 file
        raise UserError(f"{midi_path}: type 2 MIDI files (independent songs) are not "
                        "supported") from None
    onsets, now = [], 0.0
    for message in messages:
        now += message.time
        if message.type == "note_on" and message.velocity > 0 \
                and message.channel == DRUM_CHANNEL:
            onsets.append((now, message.note, message.velocity))
    return onsets, now


def read_drum_hits(midi_path):
    """All drum hits of a MIDI file, every track, channel 10, tempo changes honoured.

    Returns (hits, seconds, ignored): the Hits in time order, the length of the file in
    seconds, and how many channel-10 notes the kit has no voice for. Raises UserError when
    the file is missing, is not a MIDI file, holds no drum note the kit can play, or lasts
    longer than MAX_SECONDS.
    """
    onsets, seconds = drum_note_ons(midi_path)
    hits, ignored = [], 0
    for time, note, velocity in onsets:
        note = FOLDED_NOTES.get(note, note)
        if note in NOTE_VOICES:
            hits.append(Hit(time, note, velocity))
        else:
            ignored += 1
    if not hits:
        found = f" ({ignored} notes outside the kit)" if ignored else ""
        raise UserError(f"{midi_path}: no drum notes on channel 10{found}")
    if seconds > MAX_SECONDS:
        raise UserError(f"{midi_path}: lasts {seconds / 60:.0f} minutes, longer than the "
                        f"{MAX_SECONDS // 60} minutes the renderer accepts")
    return hits, seconds, ignored


def render_midi_file(midi_path, wav_path, stereo=True):
    """Render a drum MIDI file to a 44.1 kHz 16-bit WAV (stereo, or mono), written atomically.

    Returns RenderInfo(hits, seconds of audio, ignored notes). Raises UserError naming the
    file for a bad MIDI file or an unwritable WAV path; no WAV file is left behind then.
    """
    if os.path.exists(wav_path) and os.path.exists(midi_path) \
            and os.path.samefile(midi_path, wav_path):
        raise UserError(f"{wav_path}: is the input MIDI file; choose another output")
    hits, seconds, ignored = read_drum_hits(midi_path)
    samples = to_int16(render_hits(hits, seconds, stereo))
    try:
        with atomic_write(wav_path) as handle:
            wavfile.write(handle, SAMPLE_RATE, samples)
    except OSError as error:
        raise UserError(f"{wav_path}: cannot write ({error.strerror or error})") from None
    return RenderInfo(len(hits), len(samples) / SAMPLE_RATE, ignored)
