"""Names of other companies, and a matcher that finds them in a message (no Rasa imports).

"cancel my Just Eat order" or "close my Revolut account please" read exactly like our own
order and account questions; the intent classifier goes by the shop words and starts an order
form. A message that names another company's shop, bank, telco, delivery or streaming service
is about that company, so ``OtherCompanyClassifier`` (other_company_classifier.py) answers it
as out_of_scope, unless it also names Brightcart.

The list is written by hand for this project. It leaves out on purpose:

* the carriers that deliver our parcels (DHL, UPS, DPD, Royal Mail: actions/demo_seed.py) and
  the payment methods we accept (Visa, Mastercard, American Express, PayPal, Apple Pay, Google
  Pay, Klarna: the check_payment_methods answer in domain.yml), which are ours to talk about;
* Google, Apple and Facebook: signing in with them is an account question (data/nlu/account.yml);
* names that are also ordinary words or first names ("Next", "Target", "Wish", "Chase",
  "Boots", "Three", "Bolt", "Wise", "Sky", "Orange", "Otto"), which would catch our own
  customers' messages.

Matching is whole words or phrases, case-insensitive, with or without a possessive "'s"
("Amazon's", "Tesco's"). A name right after "pay with"/"pay by"/"accept" is a question about
how to pay us ("can I pay with Revolut?"), and one right after "your" is ours ("I saw it in
your Instagram ad"): neither counts. Questions about our carriers and contact channels
("FedEx or only the national post?", "reachable on WhatsApp?") are left alone by the
component's ``keep_intents``.
"""

from __future__ import annotations

import re

OUR_NAME = "brightcart"

OTHER_COMPANIES: tuple[str, ...] = (
    # Shops and marketplaces
    "amazon", "ebay", "etsy", "temu", "shein", "aliexpress", "alibaba", "vinted", "depop",
    "zalando", "asos", "zara", "h&m", "primark", "uniqlo", "ikea", "walmart", "argos",
    "currys", "john lewis", "tesco", "sainsbury", "asda", "aldi", "lidl", "ocado",
    "morrisons", "waitrose", "costco", "best buy", "home depot", "b&q", "wayfair", "boohoo",
    "sephora", "mediamarkt", "media markt", "decathlon", "jd sports",
    "marks and spencer", "marks & spencer", "m&s", "very.co.uk", "gumtree", "craigslist",
    "facebook marketplace", "shopify", "groupon", "wowcher", "zooplus", "cdiscount",
    "bol.com", "allegro", "flipkart", "mercado libre",
    # Travel and transport
    "booking.com", "airbnb", "expedia", "ryanair", "easyjet", "british airways",
    "lufthansa", "klm", "wizz air", "trainline", "eurostar", "national rail",
    "flixbus", "uber", "lyft", "hertz",
    # Food and grocery delivery
    "deliveroo", "just eat", "uber eats", "doordash", "grubhub", "glovo", "wolt",
    "instacart", "hellofresh", "gousto", "getir", "gorillas", "dominos", "domino's",
    "mcdonalds", "mcdonald's", "starbucks",
    # Banks and money apps (not the payment methods we accept)
    "revolut", "monzo", "barclays", "barclaycard", "hsbc", "lloyds", "natwest", "santander",
    "halifax", "starling", "n26", "wells fargo", "bank of america", "citibank", "venmo",
    "cash app", "zelle", "western union", "coinbase", "binance", "robinhood",
    # Telecoms and broadband
    "vodafone", "o2", "verizon", "at&t", "t-mobile", "virgin media", "comcast", "xfinity",
    "talktalk", "giffgaff", "lebara", "lycamobile", "telekom", "deutsche telekom",
    # Streaming, games and other subscriptions
    "netflix", "spotify", "disney+", "disney plus", "hulu", "amazon prime", "youtube",
    "youtube premium", "apple music", "apple tv", "hbo", "audible", "deezer", "dazn",
    "paramount+", "crunchyroll", "twitch", "xbox", "playstation", "nintendo", "epic games",
    "dropbox", "tinder", "duolingo", "peloton", "tiktok",
    "snapchat", "whatsapp", "twitter", "instagram", "linkedin", "reddit", "pinterest",
    # Delivery services we don't use (ours: DHL, UPS, DPD, Royal Mail)
    "fedex", "usps", "evri", "hermes", "yodel", "gls", "inpost", "amazon logistics",
    "canada post", "australia post", "postnl", "la poste",
    # Utilities and insurers
    "british gas", "octopus energy", "ovo energy", "edf", "e.on", "thames water",
    "admiral", "aviva",
)  # fmt: skip

# A name right after these words is a question about paying us with it, or our own page.
_PAYING_WITH = (
    r"(?<!\w)(?:(?:pay|paying|paid|payment|checkout|check\s+out)\s+(?:with|by|via|using|through)"
    r"(?:\s+an?|\s+my)?|your|accept|accepts|take|takes|support|supports)\s+$"
)


def _pattern(name: str) -> str:
    # Spaces in a name match any run of spaces.
    return r"\s+".join(re.escape(part) for part in name.split())


_NAMES = sorted(set(OTHER_COMPANIES), key=len, reverse=True)
_COMPANY = re.compile(
    r"(?<![\w&.+-])(?:" + "|".join(_pattern(n) for n in _NAMES) + r")(?:'s|')?(?![\w&+]|\.\w)",
    re.IGNORECASE,
)
_PAID_WITH = re.compile(_PAYING_WITH, re.IGNORECASE)
_OURS = re.compile(r"(?<!\w)" + OUR_NAME + r"(?!\w)", re.IGNORECASE)


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def other_companies(text: str) -> list[str]:
    """The other companies a message names (lower case, in order), leaving out payment uses."""
    text = _normalise(text)
    found = []
    for match in _COMPANY.finditer(text):
        if _PAID_WITH.search(text[: match.start()]):
            continue
        name = match.group(0).lower()
        name = re.sub(r"\s+", " ", name)
        if name.endswith("'s") and name not in OTHER_COMPANIES:
            name = name[:-2]
        found.append(name.rstrip("'"))
    return found


def names_us(text: str) -> bool:
    """The message names Brightcart."""
    return bool(_OURS.search(_normalise(text)))


def about_another_company(text: str) -> bool:
    """The message names another company and not Brightcart."""
    return bool(other_companies(text)) and not names_us(text)
