"""What the one redaction (common/redaction.py) catches and what it costs, side by side with its
regular-expression layer alone (what Rasa's tracker store applied before both layers were one
module). Quality: secrets typed in many phrasings (generated here, with known answers) and
ordinary customer messages (CLINC150's test set, read in place) that must come through unchanged.
Speed: microseconds per message on the same messages. Writes bench/results/redaction.json.

    make bench-redaction      (or: .venvs/app/bin/python -m bench.redaction)
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import time

from common import redaction
from harness.stack import ROOT

RESULTS = ROOT / "bench/results"
CLINC = ROOT.parent / "shared/datasets/clinc150/data_full.json"

PASSWORD_FRAMES = [
    "my password is {s}",
    "the password I used was {s}",
    "password: {s}",
    "pw = {s} but it still says wrong",
    "my password would be {s}",
    "the password's {s}",
    "I typed the password I had, {s}",
    "passwort ist {s}",
]
CARD_FRAMES = ["my card {s} was charged twice", "card number {s}", "visa {s} declined", "charged on {s} again"]
CODE_FRAMES = ["the code is {s}", "code: {s}", "got code {s} from the mail", "otp {s}"]
KEY_FRAMES = ["my key is {s}", "license {s} won't activate", "{s} says already in use"]


def _luhn_card(rng: random.Random) -> str:
    start = "4" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    return next(start + d for d in "0123456789" if redaction._luhn(start + d))


def secret_cases(seed: int = 7, per_frame: int = 25) -> list[tuple[str, str, str]]:
    """(kind, message, the secret in it)."""
    rng = random.Random(seed)
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!&%"
    cases = []
    for _ in range(per_frame):
        for frame in PASSWORD_FRAMES:
            secret = "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 14)))
            cases.append(("password", frame.format(s=secret), secret))
        for frame in CARD_FRAMES:
            number = _luhn_card(rng)
            shown = rng.choice(
                [
                    number,
                    " ".join(number[i : i + 4] for i in range(0, 16, 4)),
                    "-".join(number[i : i + 4] for i in range(0, 16, 4)),
                ]
            )
            cases.append(("card", frame.format(s=shown), shown))
        for frame in CODE_FRAMES:
            code = f"{rng.randint(0, 999999):06d}"
            shown = rng.choice([code, f"{code[:3]} {code[3:]}", f"{code[:3]}-{code[3:]}"])
            cases.append(("code", frame.format(s=shown), shown))
        for frame in KEY_FRAMES:
            key = "-".join(
                "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(5)) for _ in range(4)
            )
            shown = rng.choice([key, key.lower()])
            cases.append(("license key", frame.format(s=shown), shown))
    return cases


def ordinary_messages(limit: int = 2000) -> list[str]:
    data = json.loads(CLINC.read_text())
    return [text for text, _ in data["test"]][:limit]


def regex_only(text: str) -> str:
    return redaction._redact_patterns(text, expecting_code=False)


def score(redact, cases: list[tuple[str, str, str]], ordinary: list[str]) -> dict:
    by_kind: dict[str, list[bool]] = {}
    for kind, message, secret in cases:
        by_kind.setdefault(kind, []).append(secret not in redact(message))
    changed = [m for m in ordinary if redact(m) != m]
    timings = []
    for message in [m for _, m, _ in cases] + ordinary:
        start = time.perf_counter()
        redact(message)
        timings.append((time.perf_counter() - start) * 1e6)
    return {
        "secrets_masked": {k: round(sum(v) / len(v), 3) for k, v in by_kind.items()},
        "secrets_masked_all": round(sum(sum(v) for v in by_kind.values()) / len(cases), 3),
        "ordinary_changed": round(len(changed) / len(ordinary), 4),
        "ordinary_changed_examples": changed[:5],
        "us_per_message_p50": round(statistics.median(timings), 1),
        "us_per_message_p95": round(sorted(timings)[int(len(timings) * 0.95)], 1),
    }


def hostile_texts() -> dict[str, str]:
    """Log lines and messages built to be slow: one long run of brackets (a nested payload), a
    cue word repeated without spaces, and a long ordinary text full of cue words."""

    def nested(depth: int) -> str:
        return '/greet{"a":' + "[" * depth + "]" * depth + "}"

    return {
        "nested 2 KB": nested(1000),
        "nested 4 KB": nested(2000),
        "nested 8 KB": nested(4000),
        "nested 200 KB": nested(100_000),
        "'code' x 25,000": "code" * 25_000,
        "100 KB with cues": "my card 4111 1111 1111 1111 and the code 123-456 please " * 1_800,
    }


def whole_text_tokens(text: str) -> int:
    """spaCy's tokenizer and Matcher over the whole text, as redaction ran them before it read
    windows: the cost of that approach."""
    nlp, matcher = redaction._matcher()
    return len(matcher(nlp(text)))


def hostile_costs(texts: dict[str, str], whole_text_up_to: int = 10_000) -> dict[str, dict[str, float | None]]:
    """Milliseconds for each text: the redaction as it runs, and the whole-text Matcher (skipped
    beyond `whole_text_up_to` characters, where it takes minutes)."""
    out: dict[str, dict[str, float | None]] = {}
    for name, text in texts.items():
        started = time.perf_counter()
        redaction.redact(text)
        windowed = (time.perf_counter() - started) * 1000
        whole = None
        if len(text) <= whole_text_up_to:
            started = time.perf_counter()
            whole_text_tokens(text)
            whole = (time.perf_counter() - started) * 1000
        out[name] = {"chars": len(text), "ms_windows": round(windowed, 1), "ms_whole_text": whole and round(whole, 1)}
    return out


def main() -> None:
    cases, ordinary = secret_cases(), ordinary_messages()
    redaction.warm_up()
    results = {
        "what": "secrets masked (generated phrasings) and ordinary messages changed (CLINC150 test), "
        "one redaction vs its regex layer alone; microseconds per message",
        "cases": len(cases),
        "ordinary_messages": len(ordinary),
        "machine": platform.processor() or platform.machine(),
        "pipelines": {
            "regex layer only": score(regex_only, cases, ordinary),
            "one redaction": score(redaction.redact, cases, ordinary),
        },
        "hostile_texts_ms": hostile_costs(hostile_texts()),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "redaction.json").write_text(json.dumps(results, indent=2) + "\n")
    kinds = list(results["pipelines"]["one redaction"]["secrets_masked"])
    print(f"{'':18}" + "".join(f"{k:>13}" for k in kinds) + f"{'all':>8}{'ordinary chg':>14}{'p50 µs':>9}{'p95 µs':>9}")
    for name, r in results["pipelines"].items():
        row = "".join(f"{r['secrets_masked'][k]:>13.1%}" for k in kinds)
        print(
            f"{name:18}{row}{r['secrets_masked_all']:>8.1%}{r['ordinary_changed']:>14.2%}{r['us_per_message_p50']:>9}{r['us_per_message_p95']:>9}"
        )

    print(f"\n{'hostile text':18}{'chars':>9}{'windows ms':>12}{'whole text ms':>15}")
    for name, r in results["hostile_texts_ms"].items():
        whole = "-" if r["ms_whole_text"] is None else f"{r['ms_whole_text']:.1f}"
        print(f"{name:18}{r['chars']:>9,}{r['ms_windows']:>12.1f}{whole:>15}")


if __name__ == "__main__":
    main()
