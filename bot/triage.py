"""The first look at free text, before the FAQ: safety first, then small talk.

A person who writes "I think I broke my cheekbone" or "one side of my face is numb" needs a
pointer to urgent help, not an article's view on calcium; "I feel depressed about how old I
look" needs a kind word and where to find support, not a refusal; "thanks!" needs a short
friendly reply. This module only classifies (pure patterns, no Telegram); the handler picks the
reply from ``bot.texts``.

Where to draw the line (decided here, tested in ``tests/test_faq_triage.py``):
- emergency: an injury in the first person (a fall, a blow, something broken), sudden or severe
  pain, numbness, stroke signs (one side of the face drooping, slurred speech), chest pain,
  trouble breathing, swelling of the throat or tongue, too many pills taken. Questions *about*
  these words in general ("does smoking cause fractures?") are not emergencies.
- discomfort: mild soreness in the first person ("my jaw is sore after face yoga"). Not an
  emergency, but not an FAQ question either: ease off, and see a doctor if it is severe, sudden,
  lasting, or comes with numbness or swelling. We err towards pointing to help.
- crisis and distress: thoughts of self-harm get emergency and crisis-line pointers; low mood
  about ageing gets a kind reply and where to find support.
- small talk: a whole message that is only a greeting, thanks, an acknowledgement, a goodbye or
  emoji. A question that starts with "hi" is still a question.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

__all__ = ["Kind", "triage"]


class Kind(StrEnum):
    """What a free-text message is, when it is not simply a question."""

    EMERGENCY = "emergency"
    CRISIS = "crisis"
    DISTRESS = "distress"
    DISCOMFORT = "discomfort"
    GREETING = "greeting"
    THANKS = "thanks"
    ACK = "ack"
    FAREWELL = "farewell"


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_ME = r"(?:\bi\b|\bim\b|\bive\b|\bmy\b|\bme\b|\bmine\b)"
_PART = (
    r"(?:face|jaw|jawline|cheek|cheekbone|cheekbones|nose|eye|eyes|eye socket|head|skull|chin|"
    r"mouth|lip|lips|teeth|tooth|brow|forehead|temple|temples|neck|arm|leg|hand|side|muscle|"
    r"muscles|ear|ears)"
)

_CRISIS = _any(
    r"\b(kill|killing|hurt|hurting|harm|harming|cut|cutting)\s+myself\b",
    r"\bsuicid",
    r"\b(end|ending|take|taking)\s+my\s+(own\s+)?life\b",
    r"\b(want|wanna|wish)\s+(to\s+)?(die|be dead|disappear)\b",
    r"\bself[\s-]?harm",
    r"\bno\s+(reason|point)\s+(to|in)\s+(live|living|go on)\b",
    r"\bbetter off dead\b",
)

_EMERGENCY_ME = _any(
    # injury, in the first person
    r"\b(i|ive|i have|i just|just)\s+(\w+\s+){0,3}(injured|fell|fallen|crashed|was hit|got hit|"
    r"got punched|was punched)\b",
    # something broken counts when it is a part of the body, not a phone screen
    r"\b(i|ive|i have|i just|just)\s+(\w+\s+){0,3}(broke|broken|fractured|cracked|dislocated|"
    r"smashed)\s+(my\s+)?(\w+\s+)?" + _PART + r"\b",
    r"\b(broke|broken|fractured|cracked|dislocated|smashed)\s+(my|his|her)\s+(\w+\s+)?" + _PART,
    r"\bmy\s+(\w+\s+)?" + _PART + r"\s+(\w+\s+)?(is|are|was|looks|feels|seems)\s+(\w+\s+)?"
    r"(broken|fractured|cracked|dislocated|crooked now|bleeding|caved in)\b",
    r"\b(after|from|in)\s+(a|an|the|my)\s+(bad\s+)?(fall|accident|crash|fight|punch|blow|"
    r"collision)\b",
    r"\b(hit|banged|smashed|bashed)\s+my\s+(\w+\s+)?" + _PART,
    r"\bhead injury\b|\bconcussion\b|\bknocked (me )?out\b|\bpassed out\b|\bfainted\b",
    r"\b(bleeding|blood)\b.{0,40}\b(won.?t|will not|doesn.?t|does not)\s+stop\b",
    # sudden or severe pain
    r"\b(severe|sudden|suddenly|unbearable|excruciating|terrible|horrible|awful|worst|intense|"
    r"extreme|agonizing|agonising|crushing|stabbing|shooting)\b.{0,40}\b(pain|painful|ache|"
    r"aching|headache|hurts?|hurting)\b",
    r"\b(pain|painful|ache|aches|aching|hurts?|hurting)\b.{0,25}\b(badly|so bad|really bad|"
    r"very bad|unbearable|terribly|like hell|a lot|so much|too much to)\b",
    r"\bnumb(ness)?\b",
    r"\b(tingling|pins and needles)\b.{0,30}\b(face|lip|lips|cheek|jaw|arm|hand|mouth|tongue)\b",
    r"\b(can.?t|cannot|unable to)\s+(feel|move)\s+(my\s+)?(\w+\s+)?" + _PART,
)
"""Emergencies told in the first person: a question about fractures in general is not one."""

_EMERGENCY = _any(
    r"\bworst headache\b",
    r"\b(got|was|been|get)\s+(punched|hit|kicked|struck|assaulted|attacked|beaten)\b",
    # stroke signs
    r"\bslurr",
    r"\b(can.?t|cannot|trouble|hard to)\s+(speak|talk|get (the |my )?words out)\b",
    r"\b(one|half|left|right)\s+side\s+of\s+(my|the|her|his)\s+(face|mouth)\b.{0,40}\b(droop|"
    r"drooping|droopy|fallen|fell|sagging|numb|weak|paraly|frozen|dead|not moving|won.?t move)",
    r"\b(face|mouth|smile)\b.{0,30}\b(droop|drooping|droopy|lopsided)\b.{0,20}\b(one side|"
    r"suddenly|all of a sudden|today|this morning|just now)\b",
    r"\b(suddenly|all of a sudden|just now|this morning)\b.{0,40}\b(droop|drooping|droopy|"
    r"lopsided|paraly\w*|weak)\b",
    r"\bstroke\b|\bfacial paralysis\b|\bbell.?s palsy\b|\bparalys",
    # chest, breathing, allergic swelling, overdose
    r"\bchest\s+(pain|pains|tightness|tight|pressure|hurts|hurting)\b",
    r"\b(pain|pressure|tightness)\s+in\s+(my|the)\s+chest\b",
    r"\bheart attack\b",
    r"\b(can.?t|cannot|trouble|difficulty|struggling to|hard to|unable to)\s+(breathe|breathing|"
    r"catch my breath|swallow|swallowing)\b",
    r"\bshort(ness)? of breath\b|\bchoking\b|\banaphyla",
    r"\b(throat|tongue|lips?|face)\s+(is\s+|are\s+|feels\s+)?(swelling|swollen|closing)\s*(up)?\b",
    r"\ballergic reaction\b",
    r"\b(took|swallowed|taken|ate)\s+(\w+\s+){0,3}(too many|a whole (bottle|pack|box)|the whole "
    r"(bottle|pack|box)|way too much)\b",
    r"\boverdos(e|ed|ing)\b.{0,20}\b(i|ive|my|just)\b|\b(i|ive|just)\b.{0,20}\boverdos(e|ed)\b",
)

_DISTRESS = _any(
    r"\b(depressed|depression|hopeless|worthless|miserable|devastated|heartbroken|despair)\b",
    r"\b(hate|loathe|cant stand|can.?t stand)\s+(how\s+(i|my face)\s+look|the way i look|my "
    r"(face|looks|reflection|appearance)|myself|looking in the mirror)\b",
    r"\b(feel|feeling|look|looking)\s+(so\s+|really\s+|very\s+)?(ugly|awful about myself|"
    r"horrible about myself|terrible about myself)\b",
    r"\b(can.?t|cannot)\s+cope\b|\b(crying|cry)\s+(every|all)\b|\bkeep crying\b",
    r"\b(anxious|anxiety|panic attacks?)\b.{0,40}\b(face|look|looks|age|ageing|aging|old)\b",
    r"\b(so|really|very)\s+(sad|down|low|lonely)\b|\bfeel(ing)?\s+(sad|down|low|lonely)\b",
)

_SORE = r"(sore|soreness|aches?|aching|hurts?|hurting|pain|painful|tender|stiff|clicks?|clicking)"
_DISCOMFORT = _any(
    rf"\b{_SORE}\b.{{0,30}}\b{_PART}\b",
    rf"\b{_PART}\b.{{0,30}}\b{_SORE}\b",
    rf"\b{_SORE}\b.{{0,30}}\b(after|from|during|when)\b.{{0,20}}\b(yoga|exercis\w*|workout|"
    r"facial|massage|chewing)\b",
)

_EMOJI_ONLY = re.compile(r"^[\W_]+$")
_GREETING = re.compile(
    r"^(hi+|hey+|hello+|helo|hallo|hiya|howdy|yo|sup|heya|hi there|hey there|hello there|"
    r"good (morning|afternoon|evening|day)|morning|evening|greetings|hola|bonjour|ciao|hai|"
    r"how are you|how r u|hows it going|how are you doing|whats up|wassup)"
    r"( (bot|facenudge|there|friend|you|again|everyone|all))?$"
)
_THANKS = re.compile(
    r"^((ok(ay)?|great|cool|perfect|awesome|nice|brilliant|lovely|super|wonderful) )?"
    r"(thanks?|thank you|thank u|thankyou|thx|ty|tysm|tnx|cheers|many thanks|much appreciated|"
    r"appreciate it|thanks a lot|thanks so much|thank you so much|thank you very much|"
    r"thanks a bunch|ta)( (so|very) much)?( (a lot|again|bot|facenudge|buddy|mate|friend))?$"
)
_ACK = re.compile(
    r"^(ok|okay|k|kk|okie|okey|oki|alright|all right|right|sure|fine|good|great|cool|nice|"
    r"perfect|awesome|got it|gotcha|understood|noted|i see|ah|ahh|oh|oh ok|ah ok|ok cool|"
    r"sounds good|makes sense|fair enough|yes|yeah|yep|yup|no|nope|nah|lol|haha+|hehe+|wow|"
    r"interesting|amazing|excellent|brilliant|lovely|love it|i will|will do|done deal|hmm+|mm+|"
    r"ok then|okay then|good to know|ok good|great stuff|nice one)$"
)
_FAREWELL = re.compile(
    r"^(bye+|goodbye|good bye|bye bye|see you|see ya|see you later|later|cya|good night|"
    r"goodnight|night|gn|take care|talk later|ttyl)( (bot|facenudge|friend|now|for now))?$"
)


def _plain(text: str) -> str:
    """Lower-case ASCII text with apostrophes dropped and spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    text = text.lower().replace("'", "")
    return " ".join(text.split())


def _words_only(plain: str) -> str:
    """The message with punctuation and emoji stripped, for whole-message small-talk matching."""
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def triage(text: str) -> Kind | None:
    """Classify a free-text message; None means it is a question for the FAQ."""
    plain = _plain(text)
    if _CRISIS.search(plain):
        return Kind.CRISIS
    me = re.search(_ME, plain) is not None
    if _EMERGENCY.search(plain) or (me and _EMERGENCY_ME.search(plain)):
        return Kind.EMERGENCY
    if _DISTRESS.search(plain):
        return Kind.DISTRESS
    words = _words_only(plain)
    if me and _DISCOMFORT.search(words):
        return Kind.DISCOMFORT
    if not words:
        return Kind.ACK if _EMOJI_ONLY.match(text.strip() or "x") and text.strip() else None
    for pattern, kind in (
        (_GREETING, Kind.GREETING),
        (_THANKS, Kind.THANKS),
        (_FAREWELL, Kind.FAREWELL),
        (_ACK, Kind.ACK),
    ):
        if pattern.match(words):
            return kind
    return None
