"""``emostudio critique``: score files one by one; one JSON line (or text line) per file, errors per file.

Speech can be measured against the speaker's own voice, which matters more than anything else for an unknown
voice (critics/cards/speech-encoder.md, the default speech critic: RAVDESS UAR 0.68 without, 0.72-0.78 with):

- ``--reference NEUTRAL.wav``: a neutral take of the same voice; every file is measured as a change from it
  (the studio's closed loop does the same with a neutral take of the same text).
- ``--group-by REGEX``: the files are grouped by the regex's first group (the speaker) and z-normalised
  within their group. A group needs `MIN_GROUP` files and some variety: a small group, or one whose files the
  critic hears as one and the same emotion, is scored without normalisation and a warning says so, because
  normalising it would erase the very emotion its files share.

- A take the studio wrote (``emostudio generate speech``, or an item of ``emostudio dataset``) is read against
  the neutral take its judges read it against: its report beside it (``FILE.json``), or the item's row in its
  dataset's ``manifest.jsonl``, holds how to make that take again (``neutral_reference``: backend, voice, words,
  seed), and is trusted only while its ``sha256`` still matches the file. So
  critiquing a take gives what the loop saw, not the single-file reading in which both judges hear the
  studio's Piper voice as one emotion whatever it expresses. ``--single-file`` reads such takes alone.
  A talking face the studio made is read the same way by the judge that measures against a neutral face
  (``face/geometric``): against the same portrait at rest, as the loop read it, not the population's faces.

- A judge that reads notes (``music/symbolic``), given the audio of a music take the studio wrote, reads the
  take's score beside it (``calm.mid``), which its record names, as the loop's judge did, while the record's
  ``sha256`` still matches the audio; the row says so (``"score"``).

Every speech row says which normalisation was used (``"normalisation"``: "none", "reference", "group" or
"studio-reference").
"""
from __future__ import annotations

import argparse
import contextlib
import glob
import io
import math
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from critics.speech import SHORT_SPEECH, SHORT_SPEECH_S  # (said once per command; a take's notes say it too)
from studio.errors import EXIT_USER, UserError, checkpoint
from studio.output import ordinal, print_json

MIN_GROUP = 8  #: files per speaker group for a per-speaker standard deviation worth dividing by
#: Share of a speaker group that one label takes, read before normalising, at which `_groups` warns that
#: normalising may erase it (all of them: the group is left unnormalised). Half: in a group of 8 of one actor with
#: 4 angry takes, normalising left 1 of them angry (a speech-critique audit)
UNIFORM_SHARE = 0.5
#: Said once when speech is scored without a speaker reference. Why: a voice's own pitch, timbre and pace are
#: then read as emotion; both speech judges read most of the studio's Piper takes as one label whatever they
#: express (disgust, or anger for speech/embedded on some sentences; critics/cards/speech-encoder.md), and a
#: bare label with a high probability looks trustworthy.
NO_REFERENCE = ("no speaker reference, so each file is read against the training voices' averages, and a voice the "
                "critic has not heard (a synthetic one above all) tends to be read as one emotion whatever it says")
#: Said once when a speech judge found a file clipped (its reading's ``details["clipped"]``, the share of samples at
#: the ceiling; `critics.speech.features.CLIPPED_SHARE` gives the measurement behind the figures).
CLIPPED = ("clipped speech (5 % or more of the samples at the ceiling) is read less reliably: RAVDESS actors' takes "
           "driven that far into clipping were read correctly by speech/encoder 80 % of the time instead of 89 %, by "
           "speech/embedded 44 % instead of 84 %; record at a lower gain")

#: Said once when speech was recorded below the judges' 16 kHz (a telephone's 8 kHz): the band above half its rate,
#: which the training recordings all have, is missing, and the judges read its absence as a duller, calmer voice.
NARROW_BAND = ("speech recorded below 16 kHz or through a telephone's band (nothing above about 4 kHz, whatever rate "
               "the file was saved at) lacks the upper band every training recording has, and the judges' readings "
               "of it move (critics/cards/speech-encoder.md, 'Valid for'); read it against a neutral take recorded "
               "the same way (--reference), or record at 16 kHz or more")
LOW_BAND = ("speech with nothing above about 6 kHz (a low-bitrate MP3: ffmpeg's default for 16 kHz mono, 24 kbit/s, "
            "ends near 5.5 kHz) lacks part of the band speech/embedded reads (to 7 kHz), whose readings of it move "
            "(11 of 21 strong RAVDESS takes changed its label; speech/encoder's none: python bench/speech_low_bitrate.py); "
            "save speech at 32 kbit/s or more, or losslessly")
EIGHT_BIT = ("speech saved with 8-bit samples (48 dB of range: quantisation noise fills the band where speech is "
             "quiet) moves speech/embedded's readings: 14 of 21 strong RAVDESS takes changed its label as 8-bit WAVs, "
             "speech/encoder's 2 (python bench/speech_eight_bit.py); save 16-bit or more")
#: A 16-bit file whose peak is under this level (dBFS) is noted (`QUIET`): turned down so far, its quietest sounds
#: sink under the last bit, and speech/embedded's labels move (`python bench/speech_quiet.py`, 128 RAVDESS takes:
#: 6 % changed at -40 dBFS, 13 % at -45, 27 % at -50, 44 % at -55; speech/encoder's 3 % at most). 5 of the 1,495
#: corpus clips in ../shared/data peak under it.
QUIET_DBFS = -40.0
QUIET = (f"a peak under {QUIET_DBFS:g} dBFS in 16-bit samples: turned down so far, a recording's quietest sounds sink "
         "under the last bit, and speech/embedded's readings move (6 % of 128 RAVDESS takes changed label at -40 "
         "dBFS, 27 % at -50; speech/encoder's 3 % at most: python bench/speech_quiet.py); record louder, or save "
         "24-bit or float samples")
#: (after "holds its pitch" / "hold their pitch")
MUSIC_LIKE_WHY = ("in steady notes as music does (70 % or more of the pitched frames in notes held 0.16 s or longer; "
                  "speech of RAVDESS, EmoDB and the studio's voices at most 54 %, music 88 % and more: python "
                  "bench/held_notes.py): the speech judges read speech, and read music as a voice's emotion all the "
                  "same (a piano piece as calm at up to 0.95); music goes with --modality music, and a voice over "
                  "music or singing is read with the music in it (three strong RAVDESS anger takes over a composer's calm "
                  "piece 6 dB under them measured 63-73 %)")
MUSIC_LIKE = "holds its pitch " + MUSIC_LIKE_WHY
#: (after "holds" / "hold")
NO_HELD_NOTES_WHY = ("almost no steady notes (30 % or less of the pitched frames in notes held 0.16 s or longer; the "
                     "music of EMOPIA and the composer 88 % and more, speech at most 54 %: python bench/held_notes.py), "
                     "as speech, drums or noise do: the music judges were trained on tonal music and read other sound "
                     "as a quadrant all the same (a RAVDESS actor's speech as Q2 at 0.87); speech goes with --modality "
                     "speech")
NO_HELD_NOTES = "holds " + NO_HELD_NOTES_WHY
#: A row's "notes" (the files a note below the listing is about), and the tag the file's own line shows for each
NOTE_TAGS = {"narrow_band": "narrow band", "low_band": "nothing above 6 kHz", "short_speech": "under 1 s of speech",
             "eight_bit": "8-bit samples", "quiet": f"peak under {QUIET_DBFS:g} dBFS", "low_rate": "saved below 20 kHz",
             "music_like": "sounds like music",
             "no_held_notes": "no held notes", "few_notes": "few pitched notes", "no_colour": "no colour"}
#: The note for a picture without colour (`no_colour`): the image judges' documented bias, which critique had not said
NO_COLOUR = ("no colour (black and white): the image judges read colour as part of a picture's emotion, and OASIS's "
             "black-and-white photographs are mostly grim ones, so a grey picture reads as unpleasant (the astronaut "
             "portrait: v +0.50 in colour, -0.74 in grey; critics/cards/image-embedded.md); read its mood with the "
             "face judges where it shows a face")
#: Music audio saved below this rate (Hz) lacks part of the band `music/embedded` reads (its spectral descriptors
#: reach `critics.music.features.SPECTRAL_FMAX`, 10 kHz): of 16 EMOPIA clips saved at 16 kHz, 9 changed quadrant
#: against their 22.05 kHz reading (10 at 11.025 kHz, none at 44.1 or 48 kHz; `python bench/music_low_rate.py`)
MUSIC_LOW_RATE_HZ = 20000
MUSIC_LOW_RATE = ("such audio lacks part of the band the audio judge reads (up to 10 kHz), and its readings "
                  "move: of 16 EMOPIA clips saved at 16 kHz, 9 changed quadrant (bench/music_low_rate.py); "
                  "give a recording at 22.05 kHz or more, or its MIDI")

#: Said once when the text critic found no word it knows in a text (its reading's ``details["nothing_read"]``): its
#: neutral reading is then no reading at all, and a short line in another language looks just like that (a longer
#: one the critic refuses, naming the language: `conditioning.language`).
NO_AFFECT_WORDS = ("no word in the text critic's English affect lexicons (VADER, NRC), so it reads neutral whatever it "
                   "says (the text critic reads English; a text without emotional words gives it nothing to read)")

EXIT_SOME_UNREAD = 1  #: some files could not be read (the others' readings were printed); none: `EXIT_USER`


def critique_files(args: argparse.Namespace) -> int:
    """`emostudio critique`: each file read by the critic ``--critic`` names, or by each of several ('embedded,encoder',
    or 'judges' for the modality's loop judges, the pair the loop and a dataset's filter need to agree: a dataset
    team had to run every file once per judge and join the results: an audit); the exit code is the worst."""
    from conditioning.registry import resolve_key
    from critics.registry import CRITICS, DEFAULTS, JUDGES, MODALITIES, NEURAL

    names = []
    for name in (n.strip() for n in (args.critic or "").split(",")):
        names += JUDGES.get(args.modality, ()) if name == "judges" else [name] if name else []
    names = list(dict.fromkeys(n.removeprefix(f"{args.modality}/") for n in names))  # ('encoder' = 'speech/encoder')
    for name in names:  # every name checked before any file is read (a typo last in the list had stopped the run
        resolve_key(CRITICS, DEFAULTS, args.modality, name, MODALITIES, "critic")  # after the others: a re-audit)
    if len(names) <= 1:  # (text has one judge: 'judges' is that one)
        return _critique_with(argparse.Namespace(**{**vars(args), "critic": names[0] if names else None}))
    codes = []
    any_neural = any(f"{args.modality}/{n}" in NEURAL for n in names)
    with contextlib.redirect_stderr(_Once(sys.stderr)):  # a note that holds for every critic is said once
        for n, name in enumerate(names):
            if not getattr(args, "json", False):  # the rows name no critic: a header before each critic's
                print(f"{'' if n == 0 else chr(10)}{args.modality}/{name}:", flush=True)
            neural = f"{args.modality}/{name}" in NEURAL
            model = getattr(args, "model", None) if neural or not any_neural else None  # (--model is the neural
            # one's: it had been given to each, and an embedded critic beside CLIP refused it: a re-audit)
            codes.append(_critique_with(argparse.Namespace(**{**vars(args), "critic": name, "model": model})))
    return max(codes)


class _Once(io.TextIOBase):
    """A text stream that passes each of the command's own lines (notes and warnings) on the first time only; a
    file's line passes every time (a file unread by both judges had been said under the first alone)."""

    def __init__(self, stream):
        self.stream, self.seen, self.part = stream, set(), ""

    def write(self, text: str) -> int:
        *lines, self.part = (self.part + text).split("\n")
        for line in lines:
            if line not in self.seen or not line.startswith("emostudio critique: "):
                self.seen.add(line)
                self.stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def _critique_with(args: argparse.Namespace) -> int:
    """`critique_files` with one critic."""
    from conditioning.media import MediaError
    from critics.base import CriticError
    from studio.studio import Studio

    args.files = expand_patterns(args.files)
    inline = getattr(args, "text", None)
    if inline is not None and args.modality != "text":
        raise UserError("--text is for --modality text; give media files for other modalities")
    if not args.files and inline is None:
        raise UserError("give at least one FILE" + (" or --text" if args.modality == "text" else ""))
    reference, group_by = getattr(args, "reference", None), getattr(args, "group_by", None)
    single = getattr(args, "single_file", False)
    if (reference or group_by) and args.modality != "speech":
        raise UserError("--reference and --group-by are for --modality speech (normalising to the speaker's voice)")
    if single and args.modality not in ("speech", "face"):
        raise UserError("--single-file is for --modality speech and face (a take the studio wrote is otherwise "
                        "read against its neutral take, as the loop read it)")
    if sum(map(bool, (reference, group_by, single))) > 1:
        raise UserError("give one of --reference NEUTRAL.wav (one voice), --group-by REGEX (several voices) and "
                        "--single-file (each file alone)")
    studio = Studio()
    model = getattr(args, "model", None)
    if model:  # a neural critic's weights (the embedded critics read their shipped ones)
        from critics.registry import CRITICS, NEURAL

        neural = dict(key.split("/") for key in NEURAL)  # modality -> critic
        named = (args.critic or "").removeprefix(f"{args.modality}/")  # 'speech/transformers' = 'transformers'
        if named != neural.get(args.modality):
            names = ", ".join(f"{m}: {c}" for m, c in neural.items())
            shipped = named and f"{args.modality}/{named}" in CRITICS
            raise UserError(f"--model is for a neural critic: name it with --critic ({names})"
                            + (f"; {args.modality}/{named} reads its shipped weights" if shipped else ""))
        critic = studio.critic(args.modality, args.critic, model=model)
    else:
        critic = studio.critic(args.modality, args.critic)  # fails once, before any file, if unavailable
    import inspect

    params = inspect.signature(critic.score).parameters
    extra = {}
    if args.aligned:
        if "aligned" not in params:
            raise UserError(f"--aligned is for face critics (already-cropped faces); {args.modality} critics take no such option")
        extra["aligned"] = True
    if (reference or group_by) and not hasattr(critic, "reference"):
        raise UserError(f"critic {args.modality}/{critic.name} cannot normalise to a speaker; use one of the speech "
                        "critics that can (embedded, encoder)")
    per_file: dict[str, dict] = {}  # file -> extra score() keywords and the row's "normalisation"
    ref_narrow = ref_decay = None  # the --reference's channel (`recording_channel`), which its files are compared with
    ref_pitch = None  # the --reference's median pitch (Hz), which the files' are compared with
    take_decays = []  # the files' `decay_s`, to compare their room with the reference's
    if reference:
        try:  # a quoted pattern, expanded as the files' are
            found = expand_patterns([reference])
        except UserError as exc:
            raise UserError(f"--reference {exc}") from None
        if len(found) > 1:
            raise UserError(f"--reference {reference}: the pattern matches {len(found)} files; give one neutral "
                            "take (or --group-by REGEX to read each speaker's files against their own)")
        reference = found[0]
        try:  # an unreadable reference is a user error for every file
            ref_media = load_media("speech", Path(reference))
            stats = critic.reference([ref_media], "neutral")  # once for all the files
        except (MediaError, CriticError) as exc:
            message = str(exc)  # a media error starts with the file's name, which the line gives already
            raise UserError(f"--reference {reference}: {message.removeprefix(f'{reference}: ')}") from None
        ref_narrow, ref_decay = recording_channel(ref_media)
        ref_held, ref_kind, ref_pitch = other_kind("speech", ref_media)
        ref_pitch = ref_pitch or None  # (none pitched: nothing to compare)
        if ref_kind:  # a piano piece as the reference: an angry take
            # read against it came out angry (1.00), and the only warning was about its room
            print(f"emostudio critique: warning: --reference {reference} sounds like music ({100 * ref_held:.0f} % of "
                  "its pitched frames in held notes; speech at most 54 %: python bench/held_notes.py), and each file "
                  "is read as a change from it: give a neutral take of the same voice", file=sys.stderr)
        else:
            aroused = emotional_reference(critic, ref_media)
            if aroused:
                print(f"emostudio critique: warning: --reference {reference} {aroused}, and each file is read as a "
                      "change from it, so every reading moves away from that emotion: give a neutral take of the "
                      "same voice", file=sys.stderr)
        for name in args.files:
            per_file[name] = {"kw": {"speaker_reference": stats}, "norm": "reference", "reference": reference}
    elif group_by:
        per_file = _groups(critic, args.files, group_by)
    elif hasattr(critic, "reference") and not single:  # speech, and the face judge that measures against a face
        per_file = _studio_references(studio, critic, args.files, args.modality)
    elif getattr(critic, "reads", "media") == "midi":
        per_file = _studio_scores(args.files)
    items = [(name, None) for name in args.files] + ([("<text>", inline)] if inline is not None else [])
    failed = alone = clipped = wordless = unlike = 0
    pitches = []  # each file's `pitch_vs_reference_st`
    noted: Counter = Counter()  # how many files each of the rows' notes is about (`NOTE_TAGS`), said below the listing
    for name, text in items:
        checkpoint()  # a Ctrl-C Python swallowed stops the listing here (`studio.errors.ctrl_c_noted`)
        how = per_file.get(name, {"kw": {}, "norm": "none"})
        media = None
        try:
            if "reading" in how:  # scored already while grouping (a group left unnormalised)
                reading, media = how["reading"], how.get("media")
            else:
                if "media" in how:  # loaded already while grouping, or the take's score (`_studio_scores`)
                    media = how["media"]
                elif text is not None or getattr(critic, "reads", "media") == "midi":  # symbolic judges read the file
                    media = text if text is not None else name
                else:
                    media = load_media(args.modality, Path(name))
                reading = critic.score(media, **extra, **how["kw"])
            row = {"file": name, **({"score": how["score"]} if "score" in how else {}),
                   **({"score_changed": True} if how.get("score_changed") else {}), **reading.to_json()}
            if getattr(media, "stride", 1) > 1:  # a video too large to hold whole, read evenly thinned
                row["frames_read_every"] = media.stride
            if args.modality == "image" and getattr(media, "frame_of", None) is not None:
                # the image judges read a still: an animation's or a video's middle frame, which its row now says (a
                # GIF warm for 4 s read as its one dark frame at the middle, with no word of it)
                row["frame_read"] = dict(zip(("index", "of"), media.frame_of))
            clipped += "clipped" in row.get("details", {})
            wordless += bool(row.get("details", {}).get("nothing_read"))
            notes = []  # which of the notes below the listing this file is one of (a count alone named no file)
            rate = getattr(media, "rate", None)
            if rate and args.modality in ("speech", "music"):  # the file's own rate, which the reading no longer shows
                row["recorded_rate_hz"] = int(rate)
            if args.modality == "music" and music_low_rate(media):
                notes.append("low_rate")
            if args.modality == "music" and few_pitched_notes(media):  # drums alone, one note: read all the same
                notes.append("few_notes")
            if args.modality == "image" and no_colour(media):  # read as unpleasant, with no word (from an audit)
                notes.append("no_colour")
            held, kind, pitch = other_kind(args.modality, media)  # each kind of judge reads its own kind of sound
            if held is not None:
                row["held_notes"] = round(held, 3)
            notes += [kind] if kind else []
            if args.modality == "speech":
                row["normalisation"] = how["norm"]
                if reference and media is not None:
                    take_decays.append(media_decay(media))
                is_narrow = narrow_recording(rate, row.get("details", {}))
                unlike += ref_narrow is not None and is_narrow != ref_narrow
                if reference and pitch and ref_pitch:  # semitones from the reference's pitch: another voice?
                    row["pitch_vs_reference_st"] = round(12 * math.log2(pitch / ref_pitch), 1)
                    pitches.append(row["pitch_vs_reference_st"])
                notes += [key for key, on in (
                    ("narrow_band", is_narrow), ("low_band", low_band_recording(rate, row.get("details", {}))),
                    ("short_speech", row.get("details", {}).get("speech_s", SHORT_SPEECH_S) < SHORT_SPEECH_S)) if on]
                notes += sample_notes(Path(name), media) if text is None else []
                alone += how["norm"] == "none"
                row.update({k: how[k] for k in ("reference", "group", "group_size", "not_normalised") if how.get(k)})
                # (why a --group-by group was read alone: said on stderr, which a JSON reader does not see)
            if notes:
                row["notes"] = notes
            noted.update(notes)
        except (MediaError, CriticError, ValueError) as exc:
            failed += 1
            message = str(exc)  # most media errors start with the file's name, which the line gives already
            row = {"file": name, "critic": f"{args.modality}/{critic.name}",  # (with --critic judges, one per judge)
                   "error": message[len(name) + 2:] if message.startswith(f"{name}: ") else message}
        if args.json:
            print_json(row)
        elif "error" in row:
            print(f"{name}: error: {row['error']}", file=sys.stderr)
        else:
            if row.get("categorical") is False:  # a point (text, image judges): the nearest term, not a class
                top = max(row["mix"], key=row["mix"].get)  # (the text critic's native are VADER's pos/neu/neg)
                head = f"a point near {top}"
            else:
                top = max(row["native"], key=row["native"].get)
                head = f"{top} ({row['native'][top]:.2f})"
            print(f"{name}: {head}  v={row['valence']:+.2f} a={row['arousal']:+.2f} "
                  f"d={row['dominance']:+.2f}" + (f"  [{row['normalisation']}]" if "normalisation" in row else "")
                  + (f"  [score {row['score']}]" if "score" in row else "")
                  + (f"  [every {ordinal(row['frames_read_every'])} frame]" if "frames_read_every" in row else "")
                  + (f"  [its middle frame of {row['frame_read']['of']}]" if "frame_read" in row else "")
                  + (f"  [clipped: {100 * row['details']['clipped']:.0f} % of samples]"
                     if "clipped" in row.get("details", {}) else "")
                  + (f"  [{'; '.join(NOTE_TAGS[k] for k in row['notes'])}]" if row.get("notes") else ""))
            for line in reading_notes(row.get("details", {})):  # what --json rows hold, said in words too
                print(f"emostudio critique: note: {name}: {line}", file=sys.stderr)
    if alone and not (reference or group_by) and hasattr(critic, "reference"):
        # (a critic that cannot normalise, e.g. speech/transformers, would refuse the advice; --group-by warns per group)
        print(f"emostudio critique: note: {NO_REFERENCE}; give --reference NEUTRAL.wav (a neutral take of the same "
              "voice) or --group-by REGEX (8 or more files per speaker)", file=sys.stderr)
    if unlike:  # a reference must be recorded as the takes are: 0.90 -> 0.68 of the encoder's readings right
        print(f"emostudio critique: warning: {'a file was' if unlike == 1 else f'{unlike} files were'} recorded "
              f"through {'a wider band' if ref_narrow else 'a narrower (telephone) band'} than the reference "
              f"{reference}; each file "
              "is read as a change from the reference, as if both were recorded alike (voice, room, microphone, "
              "channel), so a reference recorded otherwise moves every reading (critics/cards/speech-encoder.md, "
              "'Valid for'): give a neutral take recorded as the takes were", file=sys.stderr)
    higher = higher_voice(pitches, f"the reference {reference}", ref_pitch)
    if higher:
        print(f"emostudio critique: warning: {higher}", file=sys.stderr)
    # (a reference through another band is warned above: its missing upper band changes the timing too)
    room = reference and not unlike and room_mismatch(ref_decay, take_decays)
    if room:
        print(f"emostudio critique: warning: {room}", file=sys.stderr)
    said = ((clipped, "a file is", "files are", f"clipped; {CLIPPED}"),  # (count, one, many, what): once per note
            (noted["narrow_band"], "a file is", "files are", f"narrow-band; {NARROW_BAND}"),
            (noted["low_band"], "a file has", "files have", f"nothing above about 6 kHz: {LOW_BAND}"),
            (noted["short_speech"], "a file holds", "files hold", f"under {SHORT_SPEECH_S:g} s of speech: {SHORT_SPEECH}"),
            (noted["music_like"], "a file holds its pitch", "files hold their pitch", MUSIC_LIKE_WHY),
            (noted["no_held_notes"], "a file holds", "files hold", NO_HELD_NOTES_WHY),
            (noted["eight_bit"], "a file has", "files have", f"8-bit samples: {EIGHT_BIT}"),
            (noted["quiet"], "a file has", "files have", QUIET),
            (noted["low_rate"], "a file is", "files are", f"music saved below 20 kHz; {MUSIC_LOW_RATE}"),
            (noted["few_notes"], "a MIDI file holds", "MIDI files hold", FEW_NOTES_NOTE),
            (noted["no_colour"], "a picture has", "pictures have", NO_COLOUR),
            (wordless, "a text has", "texts have", NO_AFFECT_WORDS))
    for n, one, many, what in said:
        if n:
            print(f"emostudio critique: note: {one if n == 1 else f'{n} {many}'} {what}", file=sys.stderr)
    # every file unreadable: the input was wrong (a user error, 2); some: the others were read (1)
    return 0 if not failed else (EXIT_USER if failed == len(items) else EXIT_SOME_UNREAD)


class NotAStudioReport(ValueError):
    """The JSON given is not a record the studio wrote of a take (a report or a dataset row) that says how to make
    its neutral take again (``neutral_reference``)."""


def read_report(path: Path) -> dict:
    """A take's report (``FILE.json``, `studio.generate.write_report`) as a dict; `NotAStudioReport` when the
    file is not JSON holding an object."""
    import json

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotAStudioReport(f"{Path(path).name} is not a report the studio wrote ({exc})") from None
    if not isinstance(doc, dict):
        raise NotAStudioReport(f"{Path(path).name} is not a report the studio wrote (not a JSON object)")
    return doc


def item_record(journal: Path, take: Path, manifests: dict | None = None) -> tuple[dict, str]:
    """A dataset item's row in its dataset's journal (``manifest.jsonl``, `studio.dataset.read_journal`, read
    without changing it), found by the take's file name, and where it came from. `NotAStudioReport` when the
    journal is not one of the studio's or has no item of that file. ``manifests`` caches each journal read, so
    critiquing a dataset's thousands of items reads its journal once."""
    from studio.dataset import read_journal

    cache = {} if manifests is None else manifests
    if journal not in cache:
        try:
            cache[journal] = read_journal(journal)[0]
        except (OSError, UserError):
            cache[journal] = {}  # unreadable, or some other program's manifest
    row = cache[journal].get(take.stem)
    if row is None or Path(str(row.get("file"))).name != take.name:
        raise NotAStudioReport(f"{journal.name} is not the journal of a dataset of the studio's holding {take.name}")
    return row, f"{journal} (item {take.stem})"


def studio_record(take: Path, manifests: dict) -> tuple[dict, str] | None:
    """What the studio wrote down about a file it made, and where: the take's report beside it (``FILE.json``)
    or, for a dataset's item (``OUT/MODALITY/ID.EXT``), its row of the dataset's journal (``OUT/manifest.jsonl``,
    `item_record`). None for any other file."""
    beside = Path(str(take) + ".json")
    if beside.is_file():
        return read_report(beside), str(beside)
    where = take.resolve()  # the item's folder has a name even when critique runs inside it (*.wav)
    journal = where.parent.parent / "manifest.jsonl"
    if journal.is_file():
        try:
            row, source = item_record(journal, where, manifests)
        except NotAStudioReport:
            return None
        if row.get("file") == f"{where.parent.name}/{where.name}":
            return row, source
    return None


def describes(record: dict, take: Path) -> bool:
    """Whether what the studio wrote down about a file (``record``) still describes ``take``."""
    return changed(record, take) is None


def changed(record: dict, take: Path) -> str | None:
    """What changed since the studio wrote ``record`` about ``take``, or None: the file (the SHA-256 it recorded
    is not the file's now: not the take the loop read), or the record itself (its seal, ``record_sha256``, is not
    that of its recipes now: an edited seed, words or voice would remake another neutral take). A record written
    before records were sealed has no seal, and its file's SHA-256 alone is checked."""
    from studio.generate import file_sha256, record_seal

    if file_sha256(take) != record.get("sha256"):
        return "the file is not the one it was written for: changed since, or another file"
    if "record_sha256" in record and record["record_sha256"] != record_seal(record):
        return "the record was edited since the studio wrote it"
    return None


def reference_source(studio, take: Path, record: dict, source: str, modality: str = "speech", *,
                     server_folders: "tuple[Path, ...] | None" = None):
    """(generator, request) of the neutral take a take the studio wrote was read against, from what the studio
    wrote down about it (``record``: its report or its dataset row, named by ``source``;
    `studio.generate.neutral_reference_recipe`: speech, the same backend, voice, words and seed at rest; face,
    the same portrait at rest; a talking face's soundtrack read as speech, its voice's recipe). Each judge's
    reference is then ``studio.reference_for(generator, critic, request)``, the loop's own cache, so the take is
    read as the loop read it; the file is hashed once for all the judges. Raises `NotAStudioReport` when the
    record names no neutral take, `MediaError` when it no longer describes ``take`` (the file's SHA-256 differs:
    changed since), and `BackendUnavailable` when that take cannot be made here."""
    from dataclasses import replace

    from conditioning import Emotion
    from conditioning.media import MediaError
    from conditioning.registry import BackendUnavailable
    from generators.base import GenerationError, GenerationRequest

    face = record.get("neutral_reference") if isinstance(record, dict) else None
    if (modality == "speech" and "voice_reference" not in record and isinstance(face, dict)
            and str(face.get("backend", "")).startswith("face/")):  # (was "not a report the studio wrote")
        raise NotAStudioReport(f"{source} is a talking face's report whose voice was a recording given to it (no "
                               "neutral take of that voice to read against); give a neutral take of the same voice "
                               "(--reference)")
    try:
        recipe = record["neutral_reference"]
        if modality == "speech" and "voice_reference" in record:  # a talking face: its voice's neutral take
            recipe = record["voice_reference"]
        kind, backend = recipe["backend"].split("/", 1)
        if kind != modality:
            raise ValueError(kind)
        request = GenerationRequest(Emotion.neutral(), None, recipe["text"], None, recipe["seed"], None,
                                    recipe.get("options") or {})
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, GenerationError):
        made = str(record.get("backend", "")).split("/")[0]
        if made in ("speech", "music", "face", "image") and made != modality:  # (was "not a report the studio
            # wrote", of a music take's own report: an audit)
            raise NotAStudioReport(f"{source} is the studio's report of a {made} take, not of a {modality} "
                                   "take") from None
        raise NotAStudioReport(f"{source} is not a report the studio wrote for a {modality} take (it names no usable "
                               f"neutral_reference)" + ("; give a neutral take of the same voice instead"
                                                         if modality == "speech" else "")) from None
    model = recipe.get("model")
    if server_folders is not None:  # a report uploaded to a server: only files in these folders are followed
        model, options = _recipe_files(recipe, source, server_folders)
        request = replace(request, options=options)
    why = changed(record, Path(take))
    if why is not None:
        raise MediaError(f"{take} is not the file {source} describes ({why})")
    portrait = request.options.get("portrait")
    if "portrait_sha256" in recipe and isinstance(portrait, str) and not Path(portrait).is_file() \
            and server_folders is None:  # the portrait under another name beside the take or its report (a web
        # take's report names the server's copy, portrait-<sha>.jpg, and its user has the photo as face.jpg)
        found = same_file(recipe["portrait_sha256"], [Path(take).parent, Path(source).parent])
        if found is not None:
            portrait = str(found)
            request = replace(request, options={**request.options, "portrait": portrait})
    if "portrait_sha256" in recipe and isinstance(portrait, str) and Path(portrait).is_file():
        from studio.generate import file_sha256

        if file_sha256(Path(portrait)) != recipe["portrait_sha256"]:  # another person's photo at the same path was
            # read as this face at rest: the geometric judge measured every frame against a stranger
            raise MediaError(f"its portrait ({Path(portrait).name}, named in {Path(source).name}) has changed since "
                             "the take was made, so its face at rest is not this take's")
    if "model_fingerprint" in recipe and model and Path(model).is_dir():
        from conditioning.weights import fingerprint

        if fingerprint(Path(model)) != recipe["model_fingerprint"]:  # a folder re-downloaded or fine-tuned in place:
            # its neutral take would be another voice's
            raise MediaError(f"its model folder ({Path(model).name}, named in {Path(source).name}) holds other weights "
                             "than when the take was made, so its neutral take would not be this take's")
    generator = studio.generator(modality, backend, model=model, settings=recipe.get("settings") or None)
    if not hasattr(generator, "neutral_reference"):
        raise BackendUnavailable(f"{modality}/{backend} makes no neutral take to read against")
    return generator, request


def _recipe_files(recipe: dict, source: str, folders: "tuple[Path, ...]") -> tuple[str | None, dict]:
    """A report uploaded to the web names its neutral take's recipe, which the server would follow: a portrait, a
    voice given as a path or a model folder there are the server's files, and whether they opened told an outsider
    which files exist ('no such file' against 'not a picture' for /etc/shadow). Followed from an upload: a voice
    by name or description (no path), a portrait in ``folders`` (the server's outputs and uploads: a face take
    made on the page) or none, and a model folder only where it is the one the server's own variable names (a
    take of the page's neural voice). Returns the model folder's full path (None: no model) and the recipe's
    options with a portrait the page's report names by its file name alone (`studio.web.WebStudio.keep_portrait`:
    the report leaves the server's folders out) as its path in the first folder."""
    from generators.registry import MODEL_ENVS

    def inside(v) -> bool:
        try:
            path = Path(str(v)).resolve()
        except (OSError, ValueError):
            return False
        return any(path.is_relative_to(Path(f).resolve()) for f in folders)

    def pathlike(v) -> bool:
        return isinstance(v, str) and (any(c in v for c in "/\\~") or v.lower().endswith(".onnx"))

    options = recipe.get("options") or {}
    if not isinstance(options, dict):
        raise NotAStudioReport(f"{source} is not a report the studio wrote (its neutral take's options are no mapping)")
    portrait = options.get("portrait")
    if isinstance(portrait, str) and portrait == Path(portrait).name and (Path(folders[0]) / portrait).is_file():
        options = {**options, "portrait": str(Path(folders[0]) / portrait)}
    named = [k for k, v in options.items()
             if (k == "portrait" and v is not None and not inside(v))
             or (k != "portrait" and (pathlike(v) or not isinstance(v, (str, int, float, bool, type(None)))))]
    model, own = recipe.get("model"), os.environ.get(MODEL_ENVS.get(str(recipe.get("backend")), ""), "")
    own_path = Path(own).expanduser().resolve() if own else None
    # (a report the page offered names a folder of the server's by its name alone: `studio.web.without_folders`)
    if model and not (own_path and str(model) in (str(own_path), own_path.name)):
        named.append("model")
    if named:
        raise NotAStudioReport(f"{source} names files on the server for its neutral take ({', '.join(named)}); the "
                               "web studio follows only reports of takes it made: upload a neutral take of the same "
                               "voice instead")
    return (str(own_path) if model else None), options


def lossy(take: Path) -> str | None:
    """The suffix of a take stored through a lossy coder the studio writes (MP3, Ogg), whose neutral take is then
    coded the same way before the two are compared (`Studio.reference_for`), else None."""
    from conditioning.media import LOSSY_AUDIO

    return take.suffix.lower() if take.suffix.lower() in LOSSY_AUDIO else None


def narrow_recording(rate: int | None, details: dict) -> bool:
    """Whether speech lacks the upper band every training recording has: recorded below 16 kHz, or through a
    telephone's band at any rate (a speech reading's ``narrow_band``, `critics.speech.channel`). The one rule for
    `critique`'s note, its reference and group checks, and the web's Analyse tab."""
    return bool(rate and rate < 16000) or bool(details.get("narrow_band"))


def low_band_recording(rate: int | None, details: dict) -> bool:
    """Whether speech lacks only the top of the band (`LOW_BAND`, a low-bitrate MP3): a reading's ``low_band`` on a
    recording that is not narrow-band (`narrow_recording`), whose low rate or telephone band says why already (an
    11.025 kHz WAV was also told to save its MP3 at 32 kbit/s or more). The one rule for `critique` and Analyse."""
    return bool(details.get("low_band")) and not narrow_recording(rate, details)


def reading_notes(details: dict) -> list[str]:
    """A reading's notes for the text output and the Analyse tab, which its JSON row holds: a face's (a second face,
    frames without a face) and a text's sentences in another language, left unread. A user of the text output
    never saw them."""
    out = [details["note"]] if isinstance(details.get("note"), str) else []
    missed = details.get("frames_without_face") or 0
    if missed:
        out.append(f"no face in {missed} of the {missed + details.get('frames_scored', 0)} frames read; the reading "
                   "is of the others")
    unread = details.get("unread_other_language")
    if unread:
        out.append(f"{unread['words']} of its {unread['of_words']} words are in sentences in "
                   f"{' and '.join(unread['languages'])}, which the text critic (English) leaves unread; the reading is "
                   "of the English ones")
    return out


def room_mismatch(reference: float | None, takes: list[float | None]) -> str | None:
    """The warning for takes that sound recorded in another room (or with other noise) than their reference
    (`decay_s` of each: `critics.speech.channel.rooms_differ`), or None. One sentence for `critique --reference`
    and the web's Analyse tab: read against a neutral take recorded alike, `speech/encoder` names 95 % of 80
    strong RAVDESS takes; with the takes or the reference in a room of RT60 0.7 s, 54 % and 69 %
    (`bench/speech_reference_mismatch.py`)."""
    import numpy as np

    from critics.speech.channel import rooms_differ

    if not rooms_differ(reference, takes):
        return None
    timed = float(np.median([t for t in takes if t is not None]))
    which = "the take sounds" if len(takes) == 1 else "the takes sound"
    return (f"{which} {'more' if timed > reference else 'less'} reverberant or noisy than the reference (sound dies "
            f"away in {timed:.2f} s against {reference:.2f} s; critics.speech.channel.decay_s): recorded in another "
            "room, at another distance from the microphone or with other background noise, a reference moves every "
            "reading (read against the same actors' neutral takes recorded alike, speech/encoder names 95 % of strong "
            "RAVDESS takes; with the takes or the reference in another room, 54-69 %); give a neutral take recorded "
            "as the takes were")


def media_decay(media) -> float | None:
    """`critics.speech.channel.decay_s` of a take, None where it cannot be prepared (its reading says why)."""
    from critics.speech.channel import decay_s

    y = _prepared(media)
    return None if y is None else decay_s(y)


def recording_channel(media) -> tuple[bool, float | None]:
    """A neutral take's channel from one preparation of it, for the takes read against it: whether it is
    narrow-band (`narrow_recording`) and its `critics.speech.channel.decay_s` (each was prepared on its own);
    (False, None) where it cannot be prepared (its reading says why)."""
    from critics.speech.channel import decay_s, narrow_band

    y = _prepared(media)
    if y is None:
        return False, None
    return narrow_recording(media.rate, {"narrow_band": narrow_band(y)}), decay_s(y)


def _prepared(media):
    """A recording as the speech judges read it (`critics.speech.features.prepare`), or None where it cannot be."""
    from critics.speech.features import FeatureError, prepare

    try:
        return prepare(media.samples, media.rate)
    except FeatureError:
        return None


#: The note for a recording that sounds like the other kind of sound than the judges read (`other_kind`)
OTHER_KIND = {"music_like": MUSIC_LIKE, "no_held_notes": NO_HELD_NOTES}


class Kind(NamedTuple):
    """`other_kind`'s answer."""
    held: float | None  #: share of the pitched frames in held notes
    key: str | None  #: `OTHER_KIND` key, or None
    pitch_hz: float | None = None  #: the median pitch of the pitched frames (0: none pitched)


def other_kind(modality: str, media) -> Kind:
    """(share of the pitched frames in held notes, `OTHER_KIND` key or None, median pitch) of a recording read as
    speech or music (`conditioning.held_notes`): speech that holds notes as music does, music that holds almost
    none. (None, None, None) for other media (a MIDI file's notes, a text) and modalities. The one rule for
    `critique`, its ``--reference`` and the web's Analyse tab."""
    from conditioning.held_notes import MUSIC_HELD_FLOOR, SPEECH_HELD_LIMIT, pitch_profile
    from conditioning.media import Audio

    if modality not in ("speech", "music") or not isinstance(media, Audio):
        return Kind(None, None)
    held, pitch = pitch_profile(media.samples, media.rate)
    key = ("music_like" if modality == "speech" and held >= SPEECH_HELD_LIMIT else
           "no_held_notes" if modality == "music" and held <= MUSIC_HELD_FLOOR else None)
    return Kind(held, key, pitch)


#: A MIDI file with fewer pitched notes than this is noted (`FEW_NOTES_NOTE`): music/symbolic refuses it
FEW_NOTES = 4
FEW_NOTES_NOTE = (f"fewer than {FEW_NOTES} pitched notes (drums alone, one note): the music judges were trained on "
                  "tonal pieces, and music/embedded reads the render as a quadrant all the same (a 5-s C4 as Q3 at "
                  "0.81), where music/symbolic refuses it")


def no_colour(media) -> bool:
    """Whether a picture (the still the image judges read) has no colour: 99 % of its pixels' channels within 8 of
    each other (saturation under about 0.05, the card's measure), as a black-and-white photograph's are."""
    import numpy as np

    from conditioning.media import Image

    if not isinstance(media, Image):
        return False
    px = media.pixels[::4, ::4].astype(np.int16)
    return float(np.percentile(px.max(axis=2) - px.min(axis=2), 99)) <= 8


def few_pitched_notes(media) -> bool:
    """Whether ``media`` is a MIDI file with fewer than `FEW_NOTES` pitched notes (drum tracks do not count).
    Only files under 256 KB are read again (the judges read them already): more notes take more bytes."""
    from conditioning.render import read_smf
    from critics.music import is_midi

    if not isinstance(media, (str, os.PathLike)) or not is_midi(media):
        return False
    try:
        if Path(media).stat().st_size > 256 * 1024:
            return False
        pm = read_smf(Path(media).read_bytes())
    except Exception:  # noqa: BLE001 - unreadable: the judges said why
        return False
    return sum(len(i.notes) for i in pm.instruments if not i.is_drum) < FEW_NOTES


def sample_notes(path: Path, media) -> tuple[str, ...]:
    """The notes on how an audio file stores its samples, from one look at its header: "eight_bit" for 8-bit
    samples (`EIGHT_BIT`), "quiet" for 16-bit ones whose sound peaks under `QUIET_DBFS` (`QUIET`; 24-bit and float
    files keep their quiet sounds). A lossy or unreadable file: none (WAV, AIFF and the like, as libsndfile reports
    them)."""
    import numpy as np
    import soundfile as sf

    try:
        subtype = sf.info(str(path)).subtype
    except Exception:  # not a file libsndfile reads: no PCM samples to speak of
        return ()
    if subtype in ("PCM_U8", "PCM_S8"):
        return ("eight_bit",)
    samples = getattr(media, "samples", None)
    quiet = (subtype == "PCM_16" and samples is not None and samples.size > 0
             and float(np.abs(samples).max()) < 10 ** (QUIET_DBFS / 20))
    return ("quiet",) if quiet else ()


def music_low_rate(media) -> bool:
    """Whether music audio was saved below `MUSIC_LOW_RATE_HZ` (MIDI and other media: no), for the note `critique`
    and the web's Analyse tab give."""
    rate = getattr(media, "rate", None)
    return bool(rate) and rate < MUSIC_LOW_RATE_HZ


def _studio_references(studio, critic, files: list[str], modality: str = "speech") -> dict[str, dict]:
    """Per file the studio wrote (`studio_record`: a take with its report beside it, or a dataset's item), how
    to score it: against its neutral take (`reference_source`). A record that no longer describes its file, or
    whose take cannot be made here, is said once per file on stderr, and the file is read alone; any other file
    is read alone."""
    from conditioning.media import MediaError
    from conditioning.registry import BackendUnavailable
    from critics.base import CriticError
    from generators.base import GenerationError

    out: dict[str, dict] = {}
    manifests: dict = {}
    foreign: list[str] = []  # files with another tool's JSON beside them: said once for all, not once per file
    for name in files:
        try:
            found = studio_record(Path(name), manifests)
            if found is None:
                continue
            generator, request = reference_source(studio, Path(name), *found, modality)
            ref = studio.reference_for(generator, critic, request, coded_as=lossy(Path(name)))
        except NotAStudioReport as exc:
            if Path(name + ".json").is_file():  # a report beside it that cannot be used: said, not skipped silently
                if "is not a report the studio wrote" in str(exc):  # another tool's sidecar (a corpus has thousands)
                    foreign.append(f"{name}: {exc}")
                else:
                    print(f"emostudio critique: warning: {name}: {exc}; the file was read alone", file=sys.stderr)
            continue
        except OSError:
            continue  # an unreadable file (reported when scored)
        except (BackendUnavailable, GenerationError, MediaError, CriticError, ValueError) as exc:
            print(f"emostudio critique: warning: {name}: {exc}; its neutral take was not used", file=sys.stderr)
            continue
        out[name] = {"kw": {"speaker_reference": ref}, "norm": "studio-reference",
                     "reference": f"its neutral take, made again ({generator.name}, seed {request.seed})"}
    if len(foreign) == 1:
        print(f"emostudio critique: warning: {foreign[0]}; the file was read alone", file=sys.stderr)
    elif foreign:
        print(f"emostudio critique: warning: {len(foreign)} files have JSON beside them that is not a report the "
              f"studio wrote (the first: {foreign[0]}); they were read alone", file=sys.stderr)
    return out


def _studio_scores(files: list[str]) -> dict[str, dict]:
    """For a judge that reads notes (``music/symbolic``), per audio file the studio wrote with its score beside it
    (`studio_record` names it: ``midi``), that score, which is what the loop's judge read; the row then names it
    (``"score"``). A MIDI file, or a recording the studio did not make, is given to the judge as it is."""
    from critics.music import is_midi
    from studio.generate import file_sha256

    out: dict[str, dict] = {}
    manifests: dict = {}
    for name in files:
        if is_midi(name):
            continue
        try:
            found = studio_record(Path(name), manifests)
        except NotAStudioReport:
            continue
        if not found or not isinstance(found[0].get("midi"), str):
            continue
        score = Path(name).parent / Path(found[0]["midi"]).name
        why = (f"its score ({score.name}, named in its report) is not beside it" if not score.is_file() else
               None if describes(found[0], Path(name)) else "it is not the file its report describes")
        if why:  # said before the judge's "reads MIDI notes, got the file" (which named neither)
            print(f"emostudio critique: warning: {name}: {why}, so the judge that reads notes has none of the take's "
                  "to read", file=sys.stderr)
        else:
            out[name] = {"kw": {}, "norm": "none", "media": str(score), "score": score.name}
            recorded = found[0].get("midi_sha256")
            if recorded is not None and file_sha256(score) != recorded:  # another file saved at the score's path
                # was read as the take's notes, "as the loop read it"
                out[name]["score_changed"] = True
                print(f"emostudio critique: warning: {name}: its score ({score.name}) has changed since the take was "
                      "made; it is read as it is now, not as the loop read the take", file=sys.stderr)
    return out


def same_file(sha256: str, folders: "list[Path]") -> "Path | None":
    """A picture in ``folders`` whose SHA-256 is ``sha256`` (the portrait a report names, saved under another
    name), or None; pictures only, and at most 200 of them, so a large folder is not read through."""
    from conditioning.media import READ_IMAGE_SUFFIXES
    from studio.generate import file_sha256

    seen = 0
    for folder in dict.fromkeys(folders):
        for p in sorted(folder.iterdir()) if folder.is_dir() else ():
            if p.suffix.lower() in READ_IMAGE_SUFFIXES and p.is_file():
                seen += 1
                if seen > 200:
                    return None
                if file_sha256(p) == sha256:
                    return p
    return None


#: Half or more of the files pitched more than this many semitones below the --reference (median pitch, pYIN as
#: `conditioning.held_notes` reads it) is warned about: the reference is likely another, higher voice. On RAVDESS
#: actors 01-16 (`python bench/speech_reference_pitch.py`, which prints 4 to 7 semitones): an actor's own
#: emotional takes fall that far below one of their neutral takes in 1.35 % of 3,484 pairs (2.5 % at 4 semitones),
#: a male actor's takes below an actress's neutral take in 51 % (calm 95 %, sad 65 %, angry 28 %); all 56 takes of
#: one actor against one neutral take, half or more fall that far in 0 of 64 runs against the actor's own and 144 of
#: 256 against an actress's; runs of 2, 4 and 8 takes drawn from one actor's, 2.5, 0.6 and 0 % against the actor's
#: own, 74, 66 and 61 % against an actress's. The other way round is not caught: own takes rise that far above
#: neutral in 36 %.
PITCH_BELOW_REFERENCE = 6.0
PITCH_BELOW_REFERENCE_WHY = ("of RAVDESS actors' takes, 1.4 % are pitched that far below their own neutral take, "
                             "51 % of actors' takes below an actress's: python bench/speech_reference_pitch.py")


def higher_voice(semitones: list[float], reference: str, ref_pitch: float) -> str | None:
    """The warning when half or more of the takes are pitched over `PITCH_BELOW_REFERENCE` semitones below their
    reference (each take's ``12 log2(pitch / ref_pitch)``): the reference is likely another, higher voice, and
    every reading is then the difference between two people. None otherwise. `critique` and the Analyse tab."""
    lower = sum(st < -PITCH_BELOW_REFERENCE for st in semitones)
    if not lower or 2 * lower < len(semitones):
        return None
    many = (f"the take is pitched {-semitones[0]:.0f}" if len(semitones) == 1 else
            f"{lower} of {len(semitones)} files are pitched more than {PITCH_BELOW_REFERENCE:g}")
    return (f"{many} semitones below {reference} (median "
            f"{ref_pitch:.0f} Hz), which a speaker's own takes seldom are: is it another, higher voice? Each file is "
            "read as a change from the reference, so another speaker's reference moves every reading; give a "
            f"neutral take of the same voice ({PITCH_BELOW_REFERENCE_WHY})")


#: A reference whose single-file reading gives these aroused emotions together this share or more is no neutral
#: take: actor 03's own angry take as the reference turned 38 of 42 right readings into 8 (calm and neutral), with no
#: word said (an audit). A high bar: no neutral RAVDESS take reaches 0.7 with either judge (0.52 and 0.67 at most;
#: they were trained on those actors), and of the studio's own neutral takes (Piper joe, Festival slt, 6 sentences
#: each) the most is 0.82 (measured 2026-12-06); a strong emotional actor's take as the reference is said 97
#: times of 224 by speech/encoder
#: (anger 31 of 32, joy 25, surprise 23, fear 18; sadness, calm and disgust never: they are not aroused)
AROUSED_REFERENCE = ("anger", "fear", "joy", "surprise")
AROUSED_REFERENCE_SHARE = 0.9


def emotional_reference(critic, media) -> str | None:
    """What makes ``media``, given as a neutral reference, plainly an emotional take ("reads as anger 0.46, joy
    0.32, fear 0.19 on its own"), or None: the judge's single-file reading (`AROUSED_REFERENCE`)."""
    try:
        reading = critic.score(media)
    except (ValueError, TypeError):  # a judge that reads no single file: nothing to say
        return None
    aroused = sorted(((p, k) for k, p in reading.emotion.mix.items() if k in AROUSED_REFERENCE), reverse=True)
    if sum(p for p, _ in aroused) < AROUSED_REFERENCE_SHARE:
        return None
    return f"reads as {', '.join(f'{k} {p:.2f}' for p, k in aroused if p >= 0.05)} on its own, not as a neutral take"


def _groups(critic, files: list[str], pattern: str) -> dict[str, dict]:
    """Per file, how to score it under ``--group-by``: z-normalised within its speaker group where the group is
    large and varied enough, else unnormalised with a warning on stderr (one per group)."""
    from conditioning.media import MediaError
    from critics.base import CriticError

    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise UserError(f"--group-by '{pattern}' is not a valid regular expression: {exc}") from None
    if rx.groups < 1:
        raise UserError(f"--group-by '{pattern}' needs a capture group naming the speaker, e.g. 'Actor_(\\d+)'")
    groups: dict[str, list[str]] = {}
    for name in files:
        m = rx.search(name)
        groups.setdefault(m.group(1) if m and m.group(1) else "", []).append(name)
    out: dict[str, dict] = {}
    for speaker, names in groups.items():
        label = speaker or "(no match)"
        loaded: dict[str, tuple] = {}  # file -> (audio, its unnormalised reading); unreadable files are left out
        for n in names:
            try:
                a = load_media("speech", Path(n))
                loaded[n] = (a, critic.score(a))
            except (MediaError, CriticError, ValueError):
                continue  # reported when the file itself is scored
        tops = {max(r.native, key=r.native.get) for _, r in loaded.values()}
        if not speaker:
            why = f"{len(names)} file(s) match no speaker in --group-by '{pattern}'"
        elif len(loaded) < MIN_GROUP:
            why = f"speaker group {label!r} has {len(loaded)} readable file(s); at least {MIN_GROUP} are needed"
        elif len(tops) == 1:
            why = (f"speaker group {label!r} is too uniform to normalise (the critic hears all {len(loaded)} files as "
                   f"{tops.pop()}; normalising would erase what they share)")
        else:
            why = None
        if why:
            print(f"emostudio critique: warning: {why}; scored without speaker normalisation", file=sys.stderr)
            out.update({n: {"kw": {}, "norm": "none", "group": label, "group_size": len(loaded),
                            "not_normalised": why,
                            **({"reading": loaded[n][1], "media": loaded[n][0]} if n in loaded else {})}
                        for n in names})  # (the media for the row's notes: a small group's lost its held notes)
            continue
        top, most = Counter(max(r.native, key=r.native.get) for _, r in loaded.values()).most_common(1)[0]
        if most >= UNIFORM_SHARE * len(loaded):  # 7 angry takes and 1 neutral read 0 of 7 angry, without a word
            print(f"emostudio critique: warning: speaker group {label!r}: the critic hears {most} of its {len(loaded)} "
                  f"files as {top} before normalising; normalising reads each file against the group's own average, "
                  "so it needs the group's emotions in about equal shares, and an emotion half of them share reads "
                  "as neutral: if they do share one, give the speaker's neutral take with --reference instead",
                  file=sys.stderr)
        narrow = sum(narrow_recording(a.rate, r.details) for a, r in loaded.values())
        if 0 < narrow < len(loaded):  # the channel differs within the group: its average is no one recording's
            print(f"emostudio critique: warning: speaker group {label!r} mixes {narrow} telephone-band and "
                  f"{len(loaded) - narrow} wideband recording(s); normalising reads the difference between the "
                  "channels as emotion: put each channel's files in a group of its own", file=sys.stderr)
        stats = critic.reference([a for a, _ in loaded.values()], "mixed")  # once per group, not once per file
        out.update({n: {"kw": {"speaker_reference": stats}, "norm": "group", "group": label,
                        "group_size": len(loaded), **({"media": loaded[n][0]} if n in loaded else {})}
                    for n in names})
    return out


def expand_patterns(names: list[str]) -> list[str]:
    """The files as given, with each wildcard pattern that reached us unexpanded (quoted, or from a shell that does
    not expand them, such as Windows' cmd and PowerShell) expanded here, in sorted order, to the files it matches:
    ``critique 'takes/*.wav'`` reads the takes instead of failing on a file called ``*.wav``. A name that exists is
    kept as it is, even one with ``*`` in it; ``**`` reaches into subfolders, as in Python's `glob`. A pattern that
    matches no file stays in the list, where its row says so and the other files are read (one unmatched pattern
    stopped the whole run); when no name is left to read, it is a user error naming them."""

    files, unmatched = [], []
    for name in names:
        if Path(name).exists() or not set("*?[") & set(name):
            files.append(name)
            continue
        found = [m for m in sorted(glob.glob(str(Path(name).expanduser()), recursive=True)) if Path(m).is_file()]
        if not found:
            unmatched.append(name)
        files.extend(found or [name])
    if unmatched and len(unmatched) == len(files):
        raise UserError(f"{', '.join(unmatched)}: no file matches this pattern")
    return files


def load_media(modality: str, path: Path):
    """Read a file as the media type the modality's critics take."""
    from conditioning.media import MediaError, load_audio, load_still, load_visual, missing

    if not path.exists() and set("*?[") & set(path.name):  # a pattern `expand_patterns` found nothing for
        raise MediaError(f"{path}: no file matches this pattern")
    if path.is_dir():
        example = {"speech": "*.wav", "music": "*.wav or *.mid", "face": "*.mp4", "image": "*.png", "text": "*.txt"}
        raise MediaError(f"{path} is a folder; give the files in it (e.g. {path}/{example.get(modality, '*')})")
    if modality in ("speech", "music"):
        from critics.music import is_midi

        if is_midi(path):
            if modality == "music":
                return path  # the music critics render MIDI themselves (music/embedded through several soundfonts)
            raise MediaError(f"{path}: a MIDI file (notes, not a recording); the music judges read it: "
                             "--modality music")
        return load_audio(path, mono=modality == "music")  # the speech judges pick a voice's channel themselves
    if modality == "image":  # a still: a video's or an animation's middle frame (`Image.frame_of` says which)
        return load_still(path)
    if modality == "face":
        return load_visual(path)
    if not path.is_file():
        raise MediaError(missing(path))
    return read_text_file(path)


#: Byte-order marks and their encodings: Windows Notepad saves "Unicode" as UTF-16 with a BOM, and "UTF-8" with one
BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def read_text_file(path: str | Path) -> str:
    """A plain text file: UTF-8, or UTF-8 / UTF-16 with a byte-order mark. Anything else is refused (the web
    read undecodable bytes as replacement characters: Notepad's UTF-16 was read as Chinese and refused)."""
    from conditioning.media import MediaError
    from critics.text.lexicon import MAX_CHARS

    size = Path(path).stat().st_size
    if size > 4 * MAX_CHARS + 4:  # more bytes than the most characters the critic reads can take (a 300 MB file
        # was read whole, 654 MB at its peak, to be refused for its length)
        raise MediaError(f"{Path(path).name}: {size / 2**20:,.1f} MB of text, more than the text critic reads (at most "
                         f"{MAX_CHARS:,} characters, about a feature film's script); give a part of it")
    data = Path(path).read_bytes()
    encoding = next((enc for bom, enc in BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise MediaError(f"{Path(path).name}: not a text file in UTF-8 (or UTF-16 with its byte-order mark); the text critics "
                         "read plain text files (or --text \"...\")")
    return text
