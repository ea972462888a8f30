"""Render drum MIDI to a WAV file with the synthesized kit of `kit.py`, to hear a pattern at once.

    render_midi_file("song.mid", "song.wav")      # any drum MIDI -> 44.1 kHz 16-bit stereo WAV
    audio = render_hits([Hit(0.0, 36, 100), Hit(0.5, 38, 100)])   # float32 (n,), for tests

Rendering is a mix: each hit adds a copy of its voice's precomputed sound, scaled by velocity,
at its onset sample. Sounds overlap as on a real kit (a cymbal rings under the next hits),
except the hi-hat, whose new hit chokes the one still ringing. In stereo each voice sits at
its place in the kit (kit.VOICE_PAN). The mix is peak-normalized below full scale, so it never
clips, and everything is deterministic: same MIDI, same bytes.

A 10-minute song renders in well under two seconds, Python's start-up included. Where the
time went, and what replaced it (each gives the same bytes as the plain way):
- the kit comes from a cache file instead of being synthesized with scipy.signal (kit.py);
- the MIDI file is read by midi_scan.scan_drum_notes, which keeps only the drum note-ons and
  the timing, instead of building and merging a mido message object per event; mido still
  reads any file the fast reader declines;
- each (note, velocity) is scaled and panned once (hit_sound), not again at every hit, and
  stereo is mixed straight into interleaved (n, 2) frames, the WAV's own layout: one
  contiguous add per hit, and no transposed copy of the whole song at the end;
- the conversion to 16-bit runs block by block as the WAV is written (int16_blocks), instead
  of four passes over the whole song with a temporary each; the standard library's `wave`
  writes the same 44-byte header as scipy.io.wavfile, without its import time.
The per-sample order of the float32 additions is the order of the hits, as before: that is
what keeps the samples bit for bit the same.
"""
import collections
import functools
import os
import wave

import numpy as np

from drumroll.cli import UserError
from drumroll.files import atomic_write
from drumroll.format import DRUM_CHANNEL, FOLDED_NOTES
from drumroll.kit import (CHOKE_NOTES, DECAY_TAIL_SECONDS, NOTE_VOICES, SAMPLE_RATE, note_pan_gains,
                          note_sample)
from drumroll.midi_scan import Declined, scan_drum_notes

PEAK = 0.89                 # about -1 dBFS: loud, never at full scale
CHOKE_FADE_SECONDS = 0.005  # a choked hi-hat fades out this fast instead of clicking off
MAX_SECONDS = 3600          # longer is a broken file (a stereo hour is 1.3 GB of samples to mix)

Hit = collections.namedtuple("Hit", "time note velocity")   # seconds, MIDI note, 1..127
RenderInfo = collections.namedtuple("RenderInfo", "hits seconds ignored_notes")


def hit_gain(velocity):
    """Amplitude of a hit: proportional to velocity, full voice level at 127."""
    return min(max(int(velocity), 0), 127) / 127.0


def scaled_sound(sound, note, velocity, stereo):
    """Voice samples `sound` (n,) as a hit on `note` at `velocity` plays them: times the
    velocity's gain, and in stereo times the note's pan gains. (n,) float32, or (n, 2)."""
    gain = hit_gain(velocity)
    if not stereo:
        return gain * sound
    left, right = gain * note_pan_gains(note)
    frames = np.empty((len(sound), 2), dtype=np.float32)
    np.multiply(sound, left, out=frames[:, 0])
    np.multiply(sound, right, out=frames[:, 1])
    return frames


@functools.lru_cache(maxsize=64)    # a song uses a few dozen; each is at most 1 MB
def hit_sound(note, velocity, stereo):
    """The whole sound of one hit, as scaled_sound of the note's voice; read-only, shared.

    Plain rule: scale the voice at every hit. A song repeats the same few (note, velocity)
    pairs thousands of times, so each is scaled once; the samples are the same float32
    products either way.
    """
    sound = scaled_sound(note_sample(note), note, velocity, stereo)
    sound.setflags(write=False)
    return sound


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

    # Stereo mixes into interleaved frames (left, right): a hit adds one contiguous block.
    out = np.zeros((num_samples, 2) if stereo else num_samples, dtype=np.float32)
    for hit, onset, hi_hat in zip(hits, onsets.tolist(), is_hi_hat.tolist()):
        if not 0 <= onset < num_samples:
            continue
        sound = hit_sound(hit.note, hit.velocity, stereo)
        length = min(len(sound), num_samples - onset)
        choke_at = length
        if hi_hat:
            later = np.searchsorted(hi_hat_onsets, onset, side="right")
            if later < len(hi_hat_onsets) and hi_hat_onsets[later] - onset < length:
                choke_at = int(hi_hat_onsets[later] - onset)
        out[onset:onset + choke_at] += sound[:choke_at]
        if choke_at < length:
            # The voice faded out from the choke on, then scaled: the very products the
            # plain way (scale a choked copy of the voice) gives, without scaling it all again.
            fading = _fade(note_sample(hit.note)[choke_at:length], fade_out)
            start = onset + choke_at
            out[start:start + len(fading)] += scaled_sound(fading, hit.note, hit.velocity, stereo)
    return out


def _fade(sound, fade_out):
    """The start of `sound` faded to silence over len(fade_out) samples; a new array."""
    end = min(len(sound), len(fade_out))
    return sound[:end] * fade_out[:end]


def normalizing_gain(audio):
    """The gain that brings the loudest sample of `audio` to PEAK (1.0 for silence)."""
    # max(max, -min) is max(|audio|) without an |audio| copy of the whole song
    peak = max(float(audio.max(initial=0.0)), -float(audio.min(initial=0.0)))
    return PEAK / peak if peak > 0 else 1.0


def audio_length(hits, seconds):
    """Samples of audio for music of `seconds` (None: until the last hit) plus the tail."""
    if seconds is None:
        seconds = max((hit[0] for hit in hits), default=0.0)
    return int(round((seconds + DECAY_TAIL_SECONDS) * SAMPLE_RATE))


def render_hits(hits, seconds=None, stereo=False):
    """Hits -> peak-normalized float32 audio at SAMPLE_RATE, every |sample| <= PEAK.

    Returns (n,) mono, or (n, 2) left and right when `stereo`.

    `seconds` is the length of the music; the audio lasts that long plus DECAY_TAIL_SECONDS
    so the last hits ring out. By default the music ends at the last hit.
    """
    hits = list(hits)
    audio = mix_hits(hits, audio_length(hits, seconds), stereo)
    audio *= normalizing_gain(audio)
    return audio


CONVERT_BLOCK = 1 << 16     # samples per block of int16_blocks: a few hundred kB, in the CPU cache


def int16_blocks(audio, gain=1.0):
    """16-bit PCM samples of float `audio` after `gain`, CONVERT_BLOCK samples at a time.

    Each sample is round(clip(audio * gain, -1, 1) * 32767). Plain rule: four whole-array
    passes, each with a temporary as big as the song; block by block, the same four steps stay
    in the CPU cache and the results are the same. `audio` is not changed.
    """
    for start in range(0, len(audio), CONVERT_BLOCK):
        block = audio[start:start + CONVERT_BLOCK] * gain     # a copy
        np.clip(block, -1.0, 1.0, out=block)
        block *= 32767
        yield np.round(block, out=block).astype(np.int16)


def to_int16(audio, gain=1.0):
    """Float audio in [-1, 1] (after `gain`) -> 16-bit PCM samples of the same shape."""
    audio = np.asarray(audio)
    pcm = np.empty(audio.shape, dtype=np.int16)
    start = 0
    for block in int16_blocks(audio, gain):
        pcm[start:start + len(block)] = block
        start += len(block)
    return pcm


def write_wav(handle, audio, gain=1.0):
    """Float audio (n,) or (n, channels) -> a 16-bit WAV file at SAMPLE_RATE, into an open
    binary file, converted (as to_int16) block by block while it is written.

    The standard library's `wave` writes the same 44-byte header as scipy.io.wavfile, without
    scipy.io's import time; the 16-bit song is never held in memory as a whole.
    """
    audio = np.asarray(audio)
    with wave.open(handle, "wb") as wav:
        wav.setnchannels(1 if audio.ndim == 1 else audio.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.setnframes(len(audio))      # so the header is right from the start
        for block in int16_blocks(audio, gain):
            wav.writeframesraw(block)


def drum_note_ons(midi_path, channel=DRUM_CHANNEL):
    """(onsets, seconds): the note-ons on `channel` (0-15; drums: 10, counted from 1) of a MIDI
    file as (seconds, note, velocity), in playing order, and the length of the file in seconds.
    UserError for a bad file.

    The fast reader (midi_scan) handles ordinary files; anything it declines, from a broken
    file to a type 2 one, is read by mido as before, which gives the same onsets or the same
    error message.
    """
    try:
        return scan_drum_notes(midi_path, channel)
    except Declined:
        return drum_note_ons_with_mido(midi_path, channel)


def drum_note_ons_with_mido(midi_path, channel=DRUM_CHANNEL):
    """drum_note_ons the plain way: mido merges the tracks and times every message."""
    from drumroll.midi_in import read_midi      # imports mido (0.1 s): only when needed
    midi = read_midi(midi_path)                 # refuses type 2 files (independent songs)
    onsets, now = [], 0.0
    for message in midi:        # merges the tracks; message.time becomes seconds since the last
        now += message.time
        if message.type == "note_on" and message.velocity > 0 \
                and message.channel == channel:
            onsets.append((now, message.note, message.velocity))
    return onsets, now


def read_drum_hits(midi_path, channel=DRUM_CHANNEL):
    """All drum hits of a MIDI file, every track, on `channel` (0-15; General MIDI's drums by
    default), tempo changes honoured.

    Returns (hits, seconds, ignored): the Hits in time order, the length of the file in
    seconds, and how many of its notes the kit has no voice for. Raises UserError when
    the file is missing, is not a MIDI file, holds no drum note the kit can play, or lasts
    longer than MAX_SECONDS.
    """
    onsets, seconds = drum_note_ons(midi_path, channel)
    if not onsets:
        no_notes_on(midi_path, channel)
    hits, ignored = [], 0
    for time, note, velocity in onsets:
        note = FOLDED_NOTES.get(note, note)
        if note in NOTE_VOICES:
            hits.append(Hit(time, note, velocity))
        else:
            ignored += 1
    if not hits:
        raise UserError(f"{midi_path}: no drum notes the kit can play on channel {channel + 1} "
                        f"({ignored} notes outside the kit)")
    if seconds > MAX_SECONDS:
        raise UserError(f"{midi_path}: lasts {seconds / 60:.0f} minutes, longer than the "
                        f"{MAX_SECONDS // 60} minutes the renderer accepts")
    return hits, seconds, ignored


def no_notes_on(midi_path, channel):
    """Raise the UserError of a file without notes on `channel`, naming the channels that have
    some (read with mido: only on this path, where the time does not matter)."""
    from drumroll.midi_in import no_notes_on_channel, read_midi, scan_midi
    raise no_notes_on_channel(midi_path, channel, scan_midi(read_midi(midi_path)).channels)


def render_midi_file(midi_path, wav_path, stereo=True, channel=DRUM_CHANNEL):
    """Render a drum MIDI file to a 44.1 kHz 16-bit WAV (stereo, or mono), written atomically.

    Returns RenderInfo(hits, seconds of audio, ignored notes). Raises UserError naming the
    file for a bad MIDI file or an unwritable WAV path; no WAV file is left behind then.
    """
    if os.path.exists(wav_path) and os.path.exists(midi_path) \
            and os.path.samefile(midi_path, wav_path):
        raise UserError(f"{wav_path}: is the input MIDI file; choose another output")
    hits, seconds, ignored = read_drum_hits(midi_path, channel)
    audio = mix_hits(hits, audio_length(hits, seconds), stereo)
    try:
        with atomic_write(wav_path) as handle:
            # normalized while converted: the samples of to_int16(render_hits(...))
            write_wav(handle, audio, normalizing_gain(audio))
    except OSError as error:
        raise UserError(f"{wav_path}: cannot write ({error.strerror or error})") from None
    return RenderInfo(len(hits), len(audio) / SAMPLE_RATE, ignored)
