"""Cheap deterministic prose for generated replies: words drawn from a fixed table by a small generator per seed.

Faker (``synth.generate_text``) costs tens of microseconds a sentence and megabytes at import; a generated reply
only needs plausible, reproducible filler, so this draws from one precomputed table instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

# Common English words, lowercase, none with a full stop: a sentence's only "." is its last character.
_TABLE = """
    able about above across act add after again against age ago agree air all allow almost alone along already also
    although always among amount and animal answer any appear apply area arm around art ask attention available away
    back bad bank base be beautiful because become bed before begin behind believe best better between beyond big
    bill black blood blue board body book born both box boy break bring brother build building business but buy by
    call camera campaign can capital car card care career carry case catch cause center central century certain
    chair challenge chance change charge check child choice choose church city civil claim class clear close coach
    cold collection college color come common community company compare computer concern condition consider
    contain continue control cost could country couple course court cover create crime cultural culture cup
    current customer cut dark data daughter day deal decade decide deep defense degree describe design detail
    develop development difference different difficult dinner direction discover discuss disease do doctor dog door
    down draw dream drive drop during each early east easy eat economic economy edge education effect effort eight
    either election else employee end energy enjoy enough enter entire environment especially establish even
    evening event ever every evidence exactly example executive exist expect experience expert explain eye face fact
    factor fall family far fast father fear federal feel few field fight figure fill film final finally financial
    find fine finger finish fire firm first fish five floor fly focus follow food foot for force foreign forget
    form former forward four free friend from front full fund future game garden gas general generation get girl
    give glass go goal good government great green ground group grow growth guess gun guy hair half hand happen
    happy hard have he head health hear heart heat heavy help her here herself high him himself his history hit
    hold home hope hospital hot hotel hour house how however huge human hundred husband idea identify if image
    imagine impact important improve in include including increase indeed indicate individual industry information
    inside instead institution interest interesting international interview into investment involve issue it item
    its itself job join just keep key kid kind kitchen know knowledge land language large last late later laugh law
    lawyer lay lead leader learn least leave left leg legal less let letter level lie life light like likely line
    list listen little live local long look lose loss lot love low machine magazine main maintain major majority
    make man manage management manager many market marriage material matter may maybe me mean measure media medical
    meet meeting member memory mention message method middle might military million mind minute miss mission model
    modern moment money month more morning most mother mouth move movement movie much music must my myself name
    nation national natural nature near nearly necessary need network never new news newspaper next nice night no
    none nor north not note nothing notice now number occur of off offer office officer official often oil ok old
    on once one only onto open operation opportunity option or order organization other others our out outside over
    own owner page pain painting paper parent part participant particular particularly partner party pass past
    patient pattern pay peace people per perform performance perhaps period person personal phone physical pick
    picture piece place plan plant play player point police policy political politics poor popular population
    position positive possible power practice prepare present president pressure pretty prevent price private
    probably problem process produce product production professional professor program project property protect
    prove provide public pull purpose push put quality question quickly quite race radio raise range rate rather
    reach read ready real reality realize really reason receive recent recently recognize record red reduce reflect
    region relate relationship religious remain remember remove report represent require research resource respond
    response rest result return reveal rich right rise risk road rock role room rule run safe same save say scene
    school science scientist score sea season seat second section security see seek seem sell send senior sense
    series serious serve service set seven several shake share she shoot short shot should shoulder show side sign
    significant similar simple simply since sing single sister sit site situation six size skill skin small smile so
    social society soldier some somebody someone something sometimes son song soon sort sound source south southern
    space speak special specific speech spend sport spring staff stage stand standard star start state statement
    station stay step still stock stop store story strategy street strong structure student study stuff style
    subject success successful such suddenly suffer suggest summer support sure surface system table take talk task
    tax teach teacher team technology television tell ten tend term test than thank that the their them themselves
    then theory there these they thing think third this those though thought thousand threat three through
    throughout throw thus time to today together tonight too top total tough toward town trade traditional training
    travel treat treatment tree trial trip trouble true truth try turn two type under understand unit until up upon
    us use usually value various very victim view violence visit voice vote wait walk wall want war watch water way
    we weapon wear week weight well west western what whatever when where whether which while white who whole whom
    whose why wide wife will win wind window wish with within without woman wonder word work worker world worry
    would write writer wrong yard yeah year yes yet you young your yourself
    """
WORDS: tuple[str, ...] = tuple(_TABLE.split())


_MASK = (1 << 64) - 1
_TABLE_BITS = 12  # 4,096 precomputed sentences: 4,096**n different n-sentence texts


def _draws(seed: int) -> Iterator[int]:
    """splitmix64 from ``seed``: fixed integer arithmetic, so the same seed gives the same text everywhere."""
    state = seed & _MASK
    while True:
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        yield z ^ (z >> 31)


def _sentence(draws: Iterator[int]) -> str:
    """One sentence of 4 to 9 words, capitalised, ending in a full stop."""
    size = len(WORDS)
    words = [WORDS[next(draws) % size] for _ in range(4 + next(draws) % 6)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


@cache
def _sentences() -> tuple[str, ...]:
    """The sentence table, built on first use (~10 ms, once per process) from a fixed seed."""
    draws = _draws(0x5EED)
    return tuple(_sentence(draws) for _ in range(1 << _TABLE_BITS))


def text(seed: int, *, sentences: int | None = None) -> str:
    """``sentences`` sentences (1 to 4, chosen from ``seed``, when not given), the same for the same seed.

    One 64-bit draw picks the count and up to four table sentences (12 bits each), so a reply costs a microsecond
    or two rather than a ``random.Random`` (~10 µs to build) and a Faker call per sentence.
    """
    table = _sentences()
    draws = _draws(seed)
    bits = next(draws)
    count = 1 + (bits & 3) if sentences is None else sentences
    if count < 1:
        raise ValueError(f"sentences must be at least 1, got {count}")
    picked = []
    bits >>= 2
    for position in range(count):
        if position and position % 5 == 0:  # 62 bits hold five picks: draw again
            bits = next(draws)
        picked.append(table[bits & (len(table) - 1)])
        bits >>= _TABLE_BITS
    return " ".join(picked)
