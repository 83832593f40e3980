"""Skills to share between boroughs: the in-house skill level with a system, and a contact role.

City Tools recorded how much in-house skill each borough had with each system, so that a borough
about to adopt a system could find a peer who knows it well. A register may say so in two
optional columns:
- the skill level: one of SKILL_LEVELS (None, Basic, Intermediate, Expert), read generously
  ('expert', 'Advanced', '3', 'high');
- the contact role: who to ask, as a role ('Systems manager, Adults'), never a person. The
  register is shared with every council (and may be published), so a name, an e-mail address
  or a telephone number does not belong in it: `role_problem` says why a value looks like one.
"""

from __future__ import annotations

import re

from citydata.core.keys import fold_words

SKILL_LEVELS: tuple[str, ...] = ("None", "Basic", "Intermediate", "Expert")
# Best first: the order "who can help" lists boroughs in.
SKILL_RANK: dict[str, int] = {label: i for i, label in enumerate(SKILL_LEVELS)}

_SKILL_WORDS: dict[str, tuple[str, ...]] = {
    "None": ("none", "no skill", "no skills", "nil", "no in house skill", "0", "no"),
    "Basic": ("basic", "low", "beginner", "novice", "limited", "some", "1", "elementary"),
    "Intermediate": ("intermediate", "medium", "moderate", "good", "competent", "2", "mid"),
    "Expert": ("expert", "high", "advanced", "extensive", "specialist", "3", "very high"),
}
_SKILL_LOOKUP = {fold_words(w): label for label, words in _SKILL_WORDS.items() for w in words}
_SKILL_LOOKUP |= {fold_words(label): label for label in SKILL_LEVELS}

MAX_ROLE = 80

# Words a role has: job titles, teams, desks. A value with one of them reads as a role.
_ROLE_TEXT = """
    lead leads leader manager managers management head heads officer officers director
    directors team teams unit service services desk helpdesk servicedesk support owner owners
    administrator administrators admin admins analyst analysts specialist specialists
    coordinator co ordinator consultant consultants engineer engineers architect architects
    developer developers champion champions superuser superusers super user users user
    adviser advisers advisor advisors partner partners board group groups programme project
    projects product products systems system applications application it ict digital data
    technical technician technicians principal senior chief deputy assistant business
    governance operations finance procurement commissioning commissioner contract contracts
    contact centre center office hub bureau function department directorate section supervisor
    controller practitioner practitioners
"""
ROLE_WORDS = frozenset(_ROLE_TEXT.split())
_TITLES = re.compile(r"^(mr|mrs|ms|miss|mx|dr|prof|professor|sir|dame|lady|lord|cllr|rev)\b\.?")
_EMAIL = re.compile(r"[^\s@<>()]+@[^\s@<>()]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?:\+?\d[\d\s()-]{7,}\d)")
_NAME_WORD = re.compile(r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*|[A-Z]\.?|Mc[A-Z][a-z]+|O'[A-Z][a-z]+")


def skill_label(text: str | None) -> str | None:
    """The skill level for what people write, or None when it is not one.

    >>> skill_label(" advanced ")
    'Expert'
    """
    if text is None:
        return None
    return _SKILL_LOOKUP.get(fold_words(str(text)))


def role_problem(role: str) -> str | None:
    """Why `role` (cleaned text, not blank) is not a role but a person, or None when it is fine.

    An e-mail address or telephone number is always a person's contact; a courtesy title
    ('Dr Patel') or two to four capitalised words with no word of a role ('Jane Smith',
    'J. Smith') read as a name.
    """
    if _EMAIL.search(role):
        return "an e-mail address"
    if _PHONE.search(role):
        return "a telephone number"
    words = [w for w in re.split(r"[\s,/&]+", role) if w]
    folded = set(fold_words(role).split())
    if folded & ROLE_WORDS:
        return None
    if _TITLES.match(role.lower()):
        return "a person's name"
    if 2 <= len(words) <= 4 and all(_NAME_WORD.fullmatch(w) for w in words):
        return "a person's name"
    return None
