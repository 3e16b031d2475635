"""Realistic values by property name and string format: a `location` gets a city and its country."""

from __future__ import annotations

import datetime as dt
import random
import re
import string
import uuid
from collections.abc import Callable, Container, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from faker import Faker  # for annotations only: the Faker is built on first use (seeding._faker)


_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_PLACES = [
    ("Lyon", "France"),
    ("Bogotá", "Colombia"),
    ("Tokyo", "Japan"),
    ("Toronto", "Canada"),
    ("Nairobi", "Kenya"),
    ("Melbourne", "Australia"),
    ("São Paulo", "Brazil"),
    ("Berlin", "Germany"),
    ("Mumbai", "India"),
    ("Chicago", "United States"),
    ("Seoul", "South Korea"),
    ("Manchester", "United Kingdom"),
    ("Mexico City", "Mexico"),
    ("Lagos", "Nigeria"),
]
_TICKERS = ["AAPL", "MSFT", "NVDA", "GOOGL", "AMZN", "META", "TSLA", "JPM", "KO", "IBM", "ORCL", "NFLX", "AMD"]

_T = TypeVar("_T")
StringMaker = Callable[[random.Random, "Faker"], str]


def _aliases(table: Mapping[str, _T]) -> dict[str, _T]:
    """Expand space-separated keys: ``{"a b": v}`` becomes ``{"a": v, "b": v}``."""
    return {key: value for keys, value in table.items() for key in keys.split()}


def _moment(rng: random.Random) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=rng.randint(0, 2 * 365 * 86400))


def phrase(rng: random.Random, fake: Faker) -> str:
    return fake.sentence(nb_words=3).rstrip(".")


FORMATS: dict[str, StringMaker] = _aliases(
    {
        "date-time": lambda r, f: _moment(r).isoformat().replace("+00:00", "Z"),
        "date": lambda r, f: _moment(r).date().isoformat(),
        "time": lambda r, f: _moment(r).time().isoformat() + "Z",
        "duration": lambda r, f: f"P{r.randint(1, 30)}DT{r.randint(0, 23)}H",
        "email idn-email": lambda r, f: f.email(),
        "uri url iri uri-reference iri-reference": lambda r, f: f.url(),
        "uuid": lambda r, f: str(uuid.UUID(int=r.getrandbits(128), version=4)),
        "ipv4": lambda r, f: f.ipv4(),
        "ipv6": lambda r, f: f.ipv6(),
        "hostname idn-hostname": lambda r, f: f.hostname(),
    }
)
STRING_HINTS: dict[str, StringMaker] = _aliases(
    {
        "location": lambda r, f: ", ".join(r.choice(_PLACES)),
        "city": lambda r, f: r.choice(_PLACES)[0],
        "country": lambda r, f: r.choice(_PLACES)[1],
        "email": lambda r, f: f.email(),
        "name full_name": lambda r, f: f.name(),
        "first_name": lambda r, f: f.first_name(),
        "last_name surname": lambda r, f: f.last_name(),
        "username": lambda r, f: f.user_name(),
        "phone phone_number": lambda r, f: f.phone_number(),
        "address": lambda r, f: f.address().replace("\n", ", "),
        "street": lambda r, f: f.street_address(),
        "state": lambda r, f: f.state(),
        "zip zipcode postcode postal_code": lambda r, f: f.postcode(),
        "url website homepage link": lambda r, f: f.url(),
        "date": lambda r, f: _moment(r).date().isoformat(),
        "time": lambda r, f: _moment(r).strftime("%H:%M"),
        "ticker symbol": lambda r, f: r.choice(_TICKERS),
        "description summary comment": lambda r, f: f.sentence(),
        "title": lambda r, f: f.sentence(nb_words=4).rstrip("."),
        "id": lambda r, f: "".join(r.choices(string.ascii_lowercase + string.digits, k=8)),
        "company": lambda r, f: f.company(),
        "job occupation": lambda r, f: f.job(),
        "color colour": lambda r, f: f.color_name(),
        "currency": lambda r, f: f.currency_code(),
        "timezone": lambda r, f: f.timezone(),
    }
)
NUMBER_HINTS: dict[str, tuple[float, float, int]] = _aliases(
    {
        "age": (18, 90, 0),
        "count quantity qty": (1, 10, 0),
        "temperature temp": (-5, 35, 1),
        "price amount cost total balance": (1, 500, 2),
        "year": (1990, 2030, 0),
        "rating stars": (1, 5, 1),
        "score percent percentage humidity": (0, 100, 1),
        "latitude lat": (-90, 90, 4),
        "longitude lon lng": (-180, 180, 4),
        "limit page days": (1, 10, 0),
        "id": (1, 99999, 0),
    }
)


def hint_key(name: str | None, keys: Container[str]) -> str | None:
    """The hint table key for a property name: the whole snake_cased name, else its last word, else its first
    (``temperature_c`` is a temperature)."""
    if not name:
        return None
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_").replace(" ", "_")
    for candidate in (key, key.rsplit("_", 1)[-1], key.split("_", 1)[0]):
        if candidate in keys:
            return candidate
    return None


def singular(name: str | None) -> str | None:
    if not name or len(name) < 4:
        return name
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name
