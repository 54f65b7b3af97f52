"""The catalogue's part of ``seed_demo``: a believable demo catalogue.

A category tree, ~25 brands, product types with typed attributes, and ~350 products
with their variants, generated deterministically (``random.Random(SEED)``, ids from
``uuid5``) and written with ``bulk_create``. Idempotent: rows are matched by slug (SKU
for variants) and only missing ones are created, so a second run writes nothing.
Products created by a run are announced with ``catalog.product_published`` (or
``product_updated`` for drafts), so event-fed read models (search) see them.
"""

from __future__ import annotations

import html
import itertools
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.text import slugify

from bazaar_platform.seeding import SeedContext
from contexts.catalog import services
from contexts.catalog.cache import invalidate_browsing
from contexts.catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductType,
    Variant,
)

SEED = 20261129
NAMESPACE = uuid.UUID("6f1c3f0e-3c1b-4c55-9a43-0d3b0c9a7e21")


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(parts))


# --- the category tree ------------------------------------------------------------

CATEGORY_TREE: dict[str, list[str]] = {
    "Electronics": ["Phones", "Laptops", "Audio", "Tablets", "Cameras"],
    "Home": ["Kitchen", "Furniture", "Lighting"],
    "Fashion": ["Shoes", "Shirts", "Bags"],
    "Books": ["Fiction", "Non-fiction"],
    "Sports": ["Running", "Cycling", "Fitness"],
}

BRANDS = [
    "Apple", "Samsung", "Google", "Lenovo", "Dell", "HP", "ASUS", "Sony", "Bose", "JBL",
    "Canon", "Nikon", "Acme", "Nordhaus", "Kitchenly", "Oakline", "Lumen", "Nike", "Adidas",
    "Stride", "Tidewear", "Penrose Press", "Northpeak", "Velo",
]  # fmt: skip

COLOURS = ["Black", "White", "Silver", "Blue", "Red", "Green", "Grey", "Beige"]


@dataclass(frozen=True)
class AttrSpec:
    code: str
    name: str
    kind: str
    scope: str = Attribute.Scope.PRODUCT
    allowed: Sequence[str] = ()
    unit: str = ""
    required: bool = False


P, V = Attribute.Scope.PRODUCT, Attribute.Scope.VARIANT
TEXT, NUMBER, CHOICE, BOOL = (
    Attribute.Kind.TEXT,
    Attribute.Kind.NUMBER,
    Attribute.Kind.CHOICE,
    Attribute.Kind.BOOLEAN,
)

PRODUCT_TYPES: dict[str, list[AttrSpec]] = {
    "Phone": [
        AttrSpec("screen_size_in", "Screen size", NUMBER, unit="in"),
        AttrSpec("os", "Operating system", CHOICE, allowed=("iOS", "Android")),
        AttrSpec("storage_gb", "Storage", NUMBER, V, unit="GB", required=True),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS, required=True),
    ],
    "Laptop": [
        AttrSpec("screen_size_in", "Screen size", NUMBER, unit="in"),
        AttrSpec("cpu", "Processor", TEXT),
        AttrSpec("ram_gb", "Memory", NUMBER, V, unit="GB", required=True),
        AttrSpec("storage_gb", "Storage", NUMBER, V, unit="GB", required=True),
    ],
    "Headphones": [
        AttrSpec("wireless", "Wireless", BOOL),
        AttrSpec("noise_cancelling", "Noise cancelling", BOOL),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS, required=True),
    ],
    "Tablet": [
        AttrSpec("screen_size_in", "Screen size", NUMBER, unit="in"),
        AttrSpec("storage_gb", "Storage", NUMBER, V, unit="GB", required=True),
        AttrSpec("cellular", "Cellular", BOOL, V),
    ],
    "Camera": [
        AttrSpec("megapixels", "Resolution", NUMBER, unit="MP"),
        AttrSpec("sensor", "Sensor", CHOICE, allowed=("Full frame", "APS-C", "Micro Four Thirds")),
        AttrSpec("kit", "Kit", CHOICE, V, allowed=("Body only", "With kit lens"), required=True),
    ],
    "Kitchen appliance": [
        AttrSpec("power_w", "Power", NUMBER, unit="W"),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS, required=True),
    ],
    "Furniture": [
        AttrSpec("material", "Material", CHOICE, allowed=("Oak", "Walnut", "Pine", "Steel", "Fabric")),
        AttrSpec("width_cm", "Width", NUMBER, unit="cm"),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS),
    ],
    "Lamp": [
        AttrSpec("power_w", "Power", NUMBER, unit="W"),
        AttrSpec("dimmable", "Dimmable", BOOL),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS, required=True),
    ],
    "Shoe": [
        AttrSpec("gender", "Fit", CHOICE, allowed=("Women", "Men", "Unisex")),
        AttrSpec("size_eu", "Size (EU)", NUMBER, V, required=True),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS, required=True),
    ],
    "Shirt": [
        AttrSpec("material", "Material", CHOICE, allowed=("Cotton", "Linen", "Polyester", "Merino")),
        AttrSpec("size", "Size", CHOICE, V, allowed=("XS", "S", "M", "L", "XL"), required=True),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS, required=True),
    ],
    "Bag": [
        AttrSpec("capacity_l", "Capacity", NUMBER, unit="L"),
        AttrSpec("waterproof", "Waterproof", BOOL),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS, required=True),
    ],
    "Book": [
        AttrSpec("author", "Author", TEXT, required=True),
        AttrSpec("pages", "Pages", NUMBER),
        AttrSpec("language", "Language", CHOICE, allowed=("English", "French", "German")),
        AttrSpec("format", "Format", CHOICE, V, allowed=("Hardcover", "Paperback", "E-book"), required=True),
    ],
    "Sports gear": [
        AttrSpec("weight_kg", "Weight", NUMBER, unit="kg"),
        AttrSpec("colour", "Colour", CHOICE, V, allowed=COLOURS, required=True),
    ],
    "Bicycle": [
        AttrSpec("gears", "Gears", NUMBER),
        AttrSpec("electric", "Electric", BOOL),
        AttrSpec("frame_size", "Frame size", CHOICE, V, allowed=("S", "M", "L", "XL"), required=True),
    ],
}  # fmt: skip


# --- product name generators ------------------------------------------------------

Rng = random.Random


@dataclass
class Draft:
    name: str
    brand: str
    attributes: dict[str, AttributeValue]
    variants: list[tuple[str, dict[str, AttributeValue]]]  # (variant name, values)
    description: str = ""


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    product_type: str
    count: int
    generate: Callable[[Rng], Iterator[Draft]]
    blurbs: Sequence[str] = field(default=())


def _colour_variants(
    rng: Rng, k: int, **extra: AttributeValue
) -> list[tuple[str, dict[str, AttributeValue]]]:
    return [(c, {"colour": c, **extra}) for c in sorted(rng.sample(COLOURS, k))]


def _storage_colour(rng: Rng, sizes: Sequence[int]) -> list[tuple[str, dict[str, AttributeValue]]]:
    storages = sorted(rng.sample(list(sizes), min(len(sizes), rng.randint(1, 3))))
    colours = sorted(rng.sample(COLOURS, rng.randint(1, 3)))
    return [
        (f"{s} GB, {c}", {"storage_gb": s, "colour": c})
        for s, c in itertools.product(storages, colours)
    ]


def _phones(rng: Rng) -> Iterator[Draft]:
    families: list[tuple[str, str, float, str]] = []
    for gen in (13, 14, 15, 16):
        for tier, size in (("", 6.1), (" Plus", 6.7), (" Pro", 6.1), (" Pro Max", 6.7)):
            families.append(("Apple", f"iPhone {gen}{tier}", size, "iOS"))
    for gen in (22, 23, 24, 25):
        for tier, size in (("", 6.1), ("+", 6.6), (" Ultra", 6.8)):
            families.append(("Samsung", f"Galaxy S{gen}{tier}", size, "Android"))
    families += [("Samsung", f"Galaxy A{n}", 6.5, "Android") for n in (15, 25, 35, 55)]
    families += [("Samsung", f"Galaxy Z Flip{n}", 6.7, "Android") for n in (5, 6)]
    for gen in (7, 8, 9):
        for tier, size in (("", 6.2), (" Pro", 6.7), ("a", 6.1)):
            families.append(("Google", f"Pixel {gen}{tier}", size, "Android"))
    families += [("Acme", f"Phone X{n}", 6.4, "Android") for n in range(1, 6)]
    rng.shuffle(families)
    for brand, model, size, os_name in families:
        yield Draft(
            name=f"{brand} {model}",
            brand=brand,
            attributes={"screen_size_in": size, "os": os_name},
            variants=_storage_colour(rng, (64, 128, 256, 512, 1024)),
        )


def _laptops(rng: Rng) -> Iterator[Draft]:
    families: list[tuple[str, str, float, str]] = []
    families += [
        ("Lenovo", f"ThinkPad X1 Carbon Gen {g}", 14.0, "Intel Core Ultra 7") for g in range(9, 13)
    ]
    families += [("Lenovo", f"ThinkPad T14 Gen {g}", 14.0, "AMD Ryzen 7 PRO") for g in (3, 4, 5)]
    families += [("Lenovo", f"ThinkPad E{s} Gen 5", float(s), "Intel Core i5") for s in (14, 16)]
    families += [("Lenovo", f"IdeaPad Slim {n}", 15.6, "AMD Ryzen 5") for n in (3, 5)]
    families += [
        ("Apple", f'MacBook Air {s}" M{m}', float(s), f"Apple M{m}")
        for s in (13, 15)
        for m in (2, 3)
    ]
    families += [
        ("Apple", f'MacBook Pro {s}" M{m}', float(s), f"Apple M{m} Pro")
        for s in (14, 16)
        for m in (3, 4)
    ]
    families += [("Dell", f"XPS {s}", float(s), "Intel Core Ultra 7") for s in (13, 14, 16)]
    families += [("Dell", f"Latitude {n}", 14.0, "Intel Core i7") for n in (5440, 7440, 9440)]
    families += [("HP", f"EliteBook {n} G11", 14.0, "Intel Core Ultra 5") for n in (840, 860)]
    families += [("HP", f"Spectre x360 {s}", float(s), "Intel Core Ultra 7") for s in (14, 16)]
    families += [("ASUS", f"Zenbook {s} OLED", float(s), "Intel Core Ultra 7") for s in (14, 15)]
    rng.shuffle(families)
    for brand, model, size, cpu in families:
        rams = sorted(rng.sample([8, 16, 32, 64], rng.randint(1, 2)))
        storages = sorted(rng.sample([256, 512, 1024, 2048], rng.randint(1, 2)))
        yield Draft(
            name=f"{brand} {model}",
            brand=brand,
            attributes={"screen_size_in": size, "cpu": cpu},
            variants=[
                (f"{r} GB RAM, {s} GB SSD", {"ram_gb": r, "storage_gb": s})
                for r, s in itertools.product(rams, storages)
            ],
        )


def _audio(rng: Rng) -> Iterator[Draft]:
    models = [
        ("Sony", "WH-1000XM4 Wireless Headphones", True, True),
        ("Sony", "WH-1000XM5 Wireless Headphones", True, True),
        ("Sony", "WF-1000XM5 Earbuds", True, True),
        ("Sony", "MDR-7506 Studio Headphones", False, False),
        ("Bose", "QuietComfort Ultra Headphones", True, True),
        ("Bose", "QuietComfort 45 Headphones", True, True),
        ("Bose", "QuietComfort Earbuds II", True, True),
        ("Bose", "SoundLink Flex Speaker", True, False),
        ("Apple", "AirPods Pro (2nd generation)", True, True),
        ("Apple", "AirPods 4", True, False),
        ("Apple", "AirPods Max", True, True),
        ("JBL", "Flip 6 Portable Speaker", True, False),
        ("JBL", "Charge 5 Portable Speaker", True, False),
        ("JBL", "Tune 720BT Headphones", True, False),
        ("JBL", "Live 660NC Headphones", True, True),
        ("Samsung", "Galaxy Buds3 Pro", True, True),
        ("Samsung", "Galaxy Buds FE", True, True),
        ("Google", "Pixel Buds Pro 2", True, True),
    ] + [
        ("Acme", f"SoundWave {n} Headphones", n % 2 == 0, n % 3 == 0) for n in range(100, 1300, 100)
    ]
    rng.shuffle(models)
    for brand, model, wireless, anc in models:
        yield Draft(
            name=f"{brand} {model}",
            brand=brand,
            attributes={"wireless": wireless, "noise_cancelling": anc},
            variants=_colour_variants(rng, rng.randint(1, 3)),
        )


def _tablets(rng: Rng) -> Iterator[Draft]:
    models = [("Apple", f'iPad Air {s}" M2', float(s)) for s in (11, 13)]
    models += [("Apple", f'iPad Pro {s}" M4', float(s)) for s in (11, 13)]
    models += [("Apple", "iPad mini (A17 Pro)", 8.3), ("Apple", "iPad (10th generation)", 10.9)]
    models += [("Samsung", f"Galaxy Tab S{g}", 11.0) for g in (8, 9, 10)]
    models += [("Samsung", f"Galaxy Tab S{g} Ultra", 14.6) for g in (9, 10)]
    models += [("Lenovo", f"Tab P{n}", 11.5) for n in (11, 12)]
    models += [
        ("Google", "Pixel Tablet", 10.95),
        ("Acme", "Slate 10", 10.1),
        ("Acme", "Slate 12", 12.0),
    ]
    for brand, model, size in models:
        storages = sorted(rng.sample([64, 128, 256, 512], rng.randint(1, 3)))
        cellular = [False, True] if rng.random() < 0.5 else [False]
        yield Draft(
            name=f"{brand} {model}",
            brand=brand,
            attributes={"screen_size_in": size},
            variants=[
                (
                    f"{s} GB{', Wi-Fi + Cellular' if c else ', Wi-Fi'}",
                    {"storage_gb": s, "cellular": c},
                )
                for s, c in itertools.product(storages, cellular)
            ],
        )


def _cameras(rng: Rng) -> Iterator[Draft]:
    models: list[tuple[str, str, float, str]] = [
        ("Canon", f"EOS R{n}", mp, "Full frame") for n, mp in ((5, 45.0), (6, 24.2), (8, 24.2))
    ]
    models += [
        ("Canon", f"EOS R{n}", mp, "APS-C")
        for n, mp in ((7, 32.5), (10, 24.2), (50, 24.2), (100, 24.1))
    ]
    models += [
        ("Nikon", f"Z{n}", mp, "Full frame")
        for n, mp in ((5, 24.3), (6, 24.5), (7, 45.7), (8, 45.7), ("f", 24.5))
    ]
    models += [("Nikon", f"Z{n}", 20.9, "APS-C") for n in (30, 50)]
    models += [
        ("Sony", f"Alpha 7 {g}", mp, "Full frame")
        for g, mp in (("III", 24.2), ("IV", 33), ("R V", 61))
    ]
    for brand, model, mp, sensor in models:
        kits = ["Body only", "With kit lens"] if rng.random() < 0.7 else ["Body only"]
        yield Draft(
            name=f"{brand} {model} Mirrorless Camera",
            brand=brand,
            attributes={"megapixels": mp, "sensor": sensor},
            variants=[(k, {"kit": k}) for k in kits],
        )


def _named(
    rng: Rng,
    brands: Sequence[str],
    lines: Sequence[str],
    items: Sequence[str],
    count: int,
) -> Iterator[tuple[str, str]]:
    combos = [(b, f"{b} {line} {item}") for b in brands for line in lines for item in items]
    rng.shuffle(combos)
    seen: set[str] = set()
    for brand, name in combos:
        if name not in seen:
            seen.add(name)
            yield brand, name
        if len(seen) >= count:
            return


def _kitchen(rng: Rng) -> Iterator[Draft]:
    items = {"Kettle 1.7 L": 2200, "Toaster 2-Slice": 900, "Blender": 1000, "Stand Mixer": 1200,
             "Coffee Grinder": 150, "Espresso Machine": 1450, "Air Fryer 5.5 L": 1700,
             "Hand Mixer": 300, "Rice Cooker": 500, "Juicer": 800}  # fmt: skip
    for brand, name in _named(
        rng, ["Nordhaus", "Kitchenly", "Acme"], ["Classic", "Pro", "Compact"], list(items), 32
    ):
        item = next(i for i in items if name.endswith(i))
        yield Draft(name=name, brand=brand, attributes={"power_w": items[item]},
                    variants=_colour_variants(rng, rng.randint(1, 3)))  # fmt: skip


def _furniture(rng: Rng) -> Iterator[Draft]:
    items = {"Dining Table": 180, "Coffee Table": 110, "Bookshelf": 80, "Desk": 140,
             "Armchair": 85, "Sofa 3-Seater": 210, "Bed Frame 160": 170, "Sideboard": 160}  # fmt: skip
    lines = ["Sora", "Hygge", "Linden", "Fjord"]
    for brand, name in _named(rng, ["Oakline", "Nordhaus"], lines, list(items), 26):
        item = next(i for i in items if name.endswith(i))
        material = rng.choice(["Oak", "Walnut", "Pine", "Steel", "Fabric"])
        yield Draft(name=name, brand=brand,
                    attributes={"material": material, "width_cm": items[item]},
                    variants=_colour_variants(rng, rng.randint(1, 2)))  # fmt: skip


def _lighting(rng: Rng) -> Iterator[Draft]:
    items = {
        "Floor Lamp": 12,
        "Desk Lamp": 6,
        "Pendant Light": 15,
        "Wall Light": 8,
        "Table Lamp": 7,
    }
    for brand, name in _named(
        rng, ["Lumen", "Nordhaus"], ["Arc", "Halo", "Orbit"], list(items), 18
    ):
        item = next(i for i in items if name.endswith(i))
        yield Draft(name=name, brand=brand,
                    attributes={"power_w": items[item], "dimmable": rng.random() < 0.6},
                    variants=_colour_variants(rng, rng.randint(1, 3)))  # fmt: skip


def _shoes(rng: Rng) -> Iterator[Draft]:
    models = [("Nike", f"Air Zoom Pegasus {n}") for n in (39, 40, 41)]
    models += [("Nike", "Air Max 90"), ("Nike", "Air Force 1 '07"), ("Nike", "Vomero 18")]
    models += [("Adidas", f"Ultraboost {n}") for n in (22, 23, 5)]
    models += [("Adidas", "Samba OG"), ("Adidas", "Gazelle"), ("Adidas", "Stan Smith")]
    models += [("Stride", f"Trail Runner {n}") for n in range(1, 7)]
    models += [("Stride", f"City Walker {n}") for n in range(1, 5)]
    models += [("Northpeak", f"Summit Hiking Boot {n}") for n in (1, 2, 3)]
    for brand, model in models:
        for gender in rng.sample(["Women", "Men"], rng.randint(1, 2)):
            colour = rng.choice(COLOURS)
            sizes = range(36, 42) if gender == "Women" else range(40, 47)
            yield Draft(
                name=f"{brand} {model} {gender}'s",
                brand=brand,
                attributes={"gender": gender},
                variants=[(f"EU {s}, {colour}", {"size_eu": s, "colour": colour}) for s in sizes],
            )


def _shirts(rng: Rng) -> Iterator[Draft]:
    styles = ["Oxford Shirt", "Linen Shirt", "Crew-neck T-shirt", "Polo Shirt", "Flannel Shirt",
              "Merino Base Layer", "Henley", "Denim Shirt"]  # fmt: skip
    for brand, name in _named(
        rng, ["Tidewear", "Adidas", "Nike", "Northpeak"], ["Essential", "Heritage"], styles, 26
    ):
        material = (
            "Linen"
            if "Linen" in name
            else "Merino"
            if "Merino" in name
            else rng.choice(["Cotton", "Polyester"])
        )
        colours = sorted(rng.sample(COLOURS, rng.randint(1, 2)))
        sizes = ["S", "M", "L", "XL"]
        yield Draft(name=name, brand=brand, attributes={"material": material},
                    variants=[(f"{s}, {c}", {"size": s, "colour": c}) for c in colours for s in sizes])  # fmt: skip


def _bags(rng: Rng) -> Iterator[Draft]:
    items = {"Daypack 20 L": 20, "Travel Backpack 40 L": 40, "Laptop Sleeve 14\"": 3, "Tote Bag": 15,
             "Messenger Bag": 12, "Duffel 60 L": 60}  # fmt: skip
    for brand, name in _named(
        rng, ["Northpeak", "Tidewear", "Acme"], ["Urban", "Trek"], list(items), 16
    ):
        item = next(i for i in items if name.endswith(i))
        yield Draft(name=name, brand=brand,
                    attributes={"capacity_l": items[item], "waterproof": rng.random() < 0.5},
                    variants=_colour_variants(rng, rng.randint(1, 3)))  # fmt: skip


_ADJ = ["Silent", "Crimson", "Hidden", "Last", "Northern", "Glass", "Paper", "Winter", "Salt", "Iron",
        "Quiet", "Golden", "Lost", "Distant", "Burning"]  # fmt: skip
_NOUN = ["Harbour", "Orchard", "Cartographer", "Lighthouse", "Garden", "Archive", "River", "Tide",
         "Observatory", "Bridge", "Forest", "Clockmaker", "Island", "Letters"]  # fmt: skip
_TOPIC = ["Data", "Cities", "Sleep", "Habits", "Money", "the Ocean", "Memory", "Design", "Trees", "Time",
          "Bread", "Maps", "Language"]  # fmt: skip
_FIRST = [
    "Ada",
    "Noor",
    "Elena",
    "Tomas",
    "Priya",
    "Jonas",
    "Mei",
    "Samuel",
    "Ines",
    "Kwame",
    "Lea",
    "Omar",
]
_LAST = [
    "Lindqvist",
    "Okafor",
    "Marchetti",
    "Haddad",
    "Novak",
    "Brennan",
    "Sato",
    "Ferreira",
    "Kowalski",
    "Dubois",
]


def _books(rng: Rng, fiction: bool) -> Iterator[Draft]:
    if fiction:
        titles = [f"The {a} {n}" for a in _ADJ for n in _NOUN]
    else:
        titles = [f"A Short History of {t}" for t in _TOPIC] + [
            f"The Science of {t}" for t in _TOPIC
        ]
        titles += [f"Thinking About {t}" for t in _TOPIC]
    rng.shuffle(titles)
    for title in titles:
        author = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        formats = sorted(rng.sample(["Hardcover", "Paperback", "E-book"], rng.randint(1, 3)))
        yield Draft(
            name=f"{title} by {author}",
            brand="Penrose Press",
            attributes={
                "author": author,
                "pages": rng.randint(120, 720),
                "language": rng.choice(["English", "English", "English", "French", "German"]),
            },
            variants=[(f, {"format": f}) for f in formats],
        )


def _fitness(
    rng: Rng, items: dict[str, float], brands: Sequence[str], count: int
) -> Iterator[Draft]:
    for brand, name in _named(rng, brands, ["Core", "Elite", "Flex"], list(items), count):
        item = next(i for i in items if name.endswith(i))
        yield Draft(name=name, brand=brand, attributes={"weight_kg": items[item]},
                    variants=_colour_variants(rng, rng.randint(1, 3)))  # fmt: skip


def _bicycles(rng: Rng) -> Iterator[Draft]:
    models = [
        f"{line} {kind}"
        for line in ("Aero", "Terra", "Metro", "Volt")
        for kind in ("Road Bike", "Gravel Bike", "City Bike", "E-Bike")
    ]
    for model in models:
        electric = "E-Bike" in model or model.startswith("Volt")
        sizes = sorted(
            rng.sample(["S", "M", "L", "XL"], rng.randint(2, 4)), key=["S", "M", "L", "XL"].index
        )
        yield Draft(name=f"Velo {model}", brand="Velo",
                    attributes={"gears": rng.choice([1, 8, 11, 12, 22]), "electric": electric},
                    variants=[(f"Frame {s}", {"frame_size": s}) for s in sizes])  # fmt: skip


CATEGORY_SPECS: list[CategorySpec] = [
    CategorySpec("phones", "Phone", 48, _phones,
                 ("A fast, dependable phone with an all-day battery and a bright display.",)),
    CategorySpec("laptops", "Laptop", 31, _laptops,
                 ("A light, well-built laptop with a comfortable keyboard and a sharp screen.",)),
    CategorySpec("audio", "Headphones", 28, _audio,
                 ("Rich, balanced sound with comfortable fit for long listening sessions.",)),
    CategorySpec("tablets", "Tablet", 15, _tablets,
                 ("A versatile tablet for reading, drawing, streaming and note-taking.",)),
    CategorySpec("cameras", "Camera", 15, _cameras,
                 ("A mirrorless camera with fast autofocus and excellent low-light performance.",)),
    CategorySpec("kitchen", "Kitchen appliance", 30, _kitchen,
                 ("Built to last, easy to clean and simple to use every day.",)),
    CategorySpec("furniture", "Furniture", 24, _furniture,
                 ("Clean Scandinavian lines, solid joinery and a finish that ages well.",)),
    CategorySpec("lighting", "Lamp", 15, _lighting,
                 ("Warm, glare-free light for reading corners and living rooms.",)),
    CategorySpec("shoes", "Shoe", 30, _shoes,
                 ("Cushioned, breathable and made for miles of comfortable wear.",)),
    CategorySpec("shirts", "Shirt", 24, _shirts,
                 ("A wardrobe staple cut for an easy, modern fit.",)),
    CategorySpec("bags", "Bag", 14, _bags,
                 ("Thoughtful pockets, padded straps and durable fabric.",)),
    CategorySpec("fiction", "Book", 22, lambda rng: _books(rng, fiction=True),
                 ("A gripping novel about memory, loss and the places we return to.",)),
    CategorySpec("non-fiction", "Book", 18, lambda rng: _books(rng, fiction=False),
                 ("A lively, well-researched guide for curious readers.",)),
    CategorySpec("running", "Sports gear", 12,
                 lambda rng: _fitness(rng, {"Running Belt": 0.1, "Hydration Vest": 0.3, "Running Cap": 0.05,
                                            "Reflective Jacket": 0.25}, ["Northpeak", "Nike", "Adidas"], 12),
                 ("Light, breathable gear for early mornings and long runs.",)),
    CategorySpec("cycling", "Bicycle", 14, _bicycles,
                 ("A responsive frame, reliable components and a comfortable riding position.",)),
    CategorySpec("fitness", "Sports gear", 14,
                 lambda rng: _fitness(rng, {"Yoga Mat": 1.2, "Kettlebell 12 kg": 12, "Resistance Bands": 0.4,
                                            "Adjustable Dumbbell": 24, "Foam Roller": 0.5}, ["Northpeak", "Acme"], 14),
                 ("Durable equipment for training at home or in the gym.",)),
]  # fmt: skip


# --- writing ------------------------------------------------------------------------


def _ensure_taxonomy() -> tuple[dict[str, Category], dict[str, Brand], dict[str, ProductType]]:
    """Categories, brands, product types and attributes, matched by slug / code."""
    categories = {c.slug: c for c in Category.objects.all()}
    new_categories: list[Category] = []
    for position, (root_name, children) in enumerate(CATEGORY_TREE.items()):
        root_slug = slugify(root_name)
        root = categories.get(root_slug)
        if root is None:
            root = Category(id=_id("category", root_slug), name=root_name, slug=root_slug,
                            depth=0, position=position)  # fmt: skip
            root.path = f"{root.id.hex}/"
            categories[root_slug] = root
            new_categories.append(root)
        for child_position, child_name in enumerate(children):
            slug = slugify(child_name)
            if slug in categories:
                continue
            child = Category(id=_id("category", slug), name=child_name, slug=slug, parent=root,
                             depth=root.depth + 1, position=child_position)  # fmt: skip
            child.path = f"{root.path}{child.id.hex}/"
            categories[slug] = child
            new_categories.append(child)
    Category.objects.bulk_create(new_categories)

    brands = {b.slug: b for b in Brand.objects.all()}
    new_brands = [
        Brand(id=_id("brand", slugify(name)), name=name, slug=slugify(name))
        for name in BRANDS
        if slugify(name) not in brands
    ]
    Brand.objects.bulk_create(new_brands)
    brands.update({b.slug: b for b in new_brands})

    types = {t.slug: t for t in ProductType.objects.all()}
    new_types = [
        ProductType(id=_id("type", slugify(name)), name=name, slug=slugify(name))
        for name in PRODUCT_TYPES
        if slugify(name) not in types
    ]
    ProductType.objects.bulk_create(new_types)
    types.update({t.slug: t for t in new_types})

    existing_attributes = set(Attribute.objects.values_list("product_type_id", "code"))
    new_attributes = [
        Attribute(
            id=_id("attribute", type_name, spec.code),
            product_type=types[slugify(type_name)],
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            scope=spec.scope,
            allowed_values=list(spec.allowed),
            unit=spec.unit,
            is_required=spec.required,
            position=position,
        )
        for type_name, specs in PRODUCT_TYPES.items()
        for position, spec in enumerate(specs)
        if (types[slugify(type_name)].id, spec.code) not in existing_attributes
    ]
    Attribute.objects.bulk_create(new_attributes)
    return categories, brands, types


def _sku(product_slug: str, index: int) -> str:
    compact = "".join(part[:4] for part in product_slug.split("-"))[:20].upper()
    return f"{compact}-{uuid.uuid5(NAMESPACE, product_slug).hex[:6].upper()}-{index + 1:02d}"


def seed_demo_catalog(ctx: SeedContext) -> None:
    categories, brands, types = _ensure_taxonomy()
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    existing_slugs = set(Product.objects.values_list("slug", flat=True))
    existing_skus = set(Variant.objects.values_list("sku", flat=True))
    new_products: list[Product] = []
    new_variants: list[Variant] = []
    planned: set[str] = set()

    for spec in ctx.progress(CATEGORY_SPECS, "catalog products"):
        drafts = itertools.islice(spec.generate(rng), spec.count)
        for draft in drafts:
            slug = slugify(draft.name)[:200]
            # draw every random number whether or not the row exists: runs stay in step
            roll = rng.random()
            age = timedelta(days=rng.randint(0, 540), minutes=rng.randint(0, 1440))
            if slug in existing_slugs or slug in planned:
                continue
            planned.add(slug)
            status = (
                Product.Status.DRAFT
                if roll < 0.04
                else Product.Status.UNPUBLISHED
                if roll < 0.06
                else Product.Status.PUBLISHED
            )
            product = Product(
                id=_id("product", slug),
                name=draft.name,
                slug=slug,
                description=services.description_sanitise(
                    f"<p>{spec.blurbs[0] if spec.blurbs else ''}</p>"
                    f"<p><strong>{html.escape(draft.name)}</strong> by {html.escape(draft.brand)}.</p>"
                ),
                status=status,
                brand=brands[slugify(draft.brand)],
                category=categories[spec.slug],
                product_type=types[slugify(spec.product_type)],
                attributes=dict(sorted(draft.attributes.items())),
                published_at=None if status == Product.Status.DRAFT else now - age,
            )
            new_products.append(product)
            for index, (variant_name, values) in enumerate(draft.variants):
                sku = _sku(slug, index)
                if sku in existing_skus:
                    continue
                new_variants.append(
                    Variant(
                        id=_id("variant", sku),
                        product=product,
                        sku=sku,
                        name=variant_name,
                        attributes=dict(sorted(values.items())),
                        position=index,
                    )
                )

    Product.objects.bulk_create(new_products, batch_size=500)
    Variant.objects.bulk_create(new_variants, batch_size=1000)
    invalidate_browsing()  # bulk_create sends no signal
    if new_products:
        services.product_events_publish(product_ids=[p.id for p in new_products])
