"""Crisis-language lexicon for free-text notes, negation-aware; the note itself is never logged or stored."""

import re
from dataclasses import dataclass

# Plain phrases; `\w*` endings catch "killing", "suicidal" etc. Kept short on purpose: recall over cleverness,
# because PHQ-9 item 9 alone misses most people who go on to die by suicide (Louzon 2016).
CRISIS_PHRASES = (
    r"kill(?:ing)? my ?self", r"end(?:ing)? (?:my|it) (?:life|all)", r"take my (?:own )?life", r"suicid\w*",
    r"want(?:ed)? to die", r"wish i (?:was|were) dead", r"better off dead", r"better off without me",
    r"no (?:reason|point) (?:to|in) (?:live|living|going on)", r"hurt(?:ing)? my ?self", r"harm(?:ing)? my ?self",
    r"self[- ]harm\w*", r"cut(?:ting)? my ?self", r"overdose", r"can'?t go on", r"not want to (?:live|be alive)",
    r"don'?t want to (?:live|be alive|be here anymore|wake up)", r"hang my ?self", r"not worth living",
    r"life (?:is not|isn'?t) worth (?:it|living)", r"no way out", r"slit(?:ting)? my wrists?", r"never wake up",
    r"jump(?:ing)? off (?:a|the) (?:bridge|building|roof)", r"can'?t live like this",
)
NEGATIONS = {"never", "not", "no", "don't", "dont", "do not", "won't", "wont", "wouldn't", "wouldnt", "nor",
             "isn't", "am not", "i'm not", "without", "stopped", "no longer", "denies", "didn't", "didnt"}
# Negation words only count inside the same clause and close before the phrase.
CLAUSE_BREAK = re.compile(r"[.!?;:,\n]|\bbut\b|\bthough\b|\bhowever\b")
NEGATION_WINDOW_WORDS = 5
WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class LanguageMatch:
    """Which phrase matched (the pattern, never the note's text)."""

    phrase: str


def _compile(phrases) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(f"(?P<p{i}>{p})" for i, p in enumerate(phrases)) + r")")


_DEFAULT = _compile(CRISIS_PHRASES)


def _negated(text: str, start: int, phrase_text: str) -> bool:
    if phrase_text.startswith(("don", "not ", "no ", "can", "never ")):
        return False  # the negation is part of the phrase itself ("don't want to live")
    clause = CLAUSE_BREAK.split(text[:start])[-1]
    words = WORD.findall(clause)[-NEGATION_WINDOW_WORDS:]
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:])}
    return any(w in NEGATIONS for w in words) or bool(pairs & NEGATIONS)


def find_crisis_language(note: str | None, extra_phrases: tuple[str, ...] = ()) -> LanguageMatch | None:
    """The first non-negated crisis phrase in `note`, or None."""
    if not note:
        return None
    text = note.lower().replace("\u2019", "'")
    pattern = _compile(CRISIS_PHRASES + tuple(re.escape(p) for p in extra_phrases)) if extra_phrases else _DEFAULT
    phrases = CRISIS_PHRASES + tuple(extra_phrases)
    for match in pattern.finditer(text):
        if not _negated(text, match.start(), match.group(0)):
            index = int(str(match.lastgroup)[1:])  # the named group p<i> that matched
            return LanguageMatch(phrases[index])
    return None
