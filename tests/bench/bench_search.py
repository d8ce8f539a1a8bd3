#!/usr/bin/env python3
"""Search: relevance on a small corpus, and cost at 200,000 items and 1,000,000 people.

1. **Relevance.** An institution built through the real services: 100 people, 20
   groups and about 200 items (documents with bodies, links, tags), and 30 queries
   with the result each should bring first (words, phrases, prefixes, misspellings,
   names, departments, tags, link addresses). Prints the mean reciprocal rank
   (goal: at least 0.8) and success@3 (the expected result among the first three).
2. **Scale.** Two institutions, one with 1,000 items and 1,000 people, one with
   200,000 items (each about 2 KB of body text) and 1,000,000 people, bulk loaded
   with COPY (the search triggers fill the vectors as rows arrive; the GIN indexes
   are built after the load). A signed-in member's ``/api/v1/search/`` for a common
   word, a rare word, a phrase and a misspelling, and a name search, in alternating
   rounds (median ms). Goal: within 20% (ratio at most 1.2).
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.audit.services import Actor  # noqa: E402
from tenant_apps.content.models import ContentItem  # noqa: E402
from tenant_apps.content.services import content_add_link, content_create_document  # noqa: E402
from tenant_apps.groups.services import group_create  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenant_apps.people.services import profile_update, user_create  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tenants.services import tenant_create  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_SEARCH_ROUNDS", "20"))
SIZES = {"search-small": (1_000, 1_000), "search-large": (200_000, 1_000_000)}


def ensure_tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = tenant_create(slug=slug, name=slug, actor=Actor.system("bench"))
    return tenant


def viewer_client(tenant: Tenant) -> Client:
    with schema_context(tenant.schema_name):
        viewer = User.objects.filter(username="viewer").first() or user_create(
            username="viewer", display_name="Viewer"
        )
        client = Client(HTTP_HOST=tenant.domains.get(is_primary=True).domain)
        client.force_login(viewer)
    return client


# --- 1. relevance --------------------------------------------------------------------
TOPICS = [
    ("thermodynamics", "entropy heat engines and the second law"),
    ("photosynthesis", "chlorophyll light reactions and the calvin cycle"),
    ("linear algebra", "matrices eigenvalues and vector spaces"),
    ("organic chemistry", "alkenes aromatic rings and reaction mechanisms"),
    ("medieval history", "feudal kingdoms monasteries and the crusades"),
    ("macroeconomics", "inflation unemployment and monetary policy"),
    ("neuroscience", "neurons synapses and the cortex"),
    ("plate tectonics", "subduction earthquakes and continental drift"),
    ("machine learning", "gradient descent neural networks and overfitting"),
    ("renaissance art", "perspective frescoes and patronage in florence"),
    ("quantum mechanics", "wave functions superposition and measurement"),
    ("microbiology", "bacteria cultures and antibiotic resistance"),
    ("shakespeare", "tragedies sonnets and the globe theatre"),
    ("statistics", "hypothesis tests regression and confidence intervals"),
    ("astronomy", "galaxies telescopes and stellar evolution"),
    ("philosophy of mind", "consciousness dualism and functionalism"),
    ("marine ecology", "coral reefs plankton and tide pools"),
    ("cryptography", "ciphers public keys and hash functions"),
    ("volcanology", "magma eruptions and pyroclastic flows"),
    ("epidemiology", "outbreaks incidence and cohort studies"),
]
FORMS = ["Lecture notes", "Problem set", "Reading list", "Exam revision", "Lab report"]
GIVEN = ["Ada", "Ben", "Chloe", "Dev", "Ema", "Femi", "Gus", "Hana", "Ivo", "Jun"]
FAMILY = ["Archer", "Baker", "Chen", "Diaz", "Evans", "Fox", "Garcia", "Hill", "Ito", "Jones"]
DEPARTMENTS = ["Physics", "Biology", "History", "Economics", "Mathematics", "Chemistry"]


def build_relevance(tenant: Tenant) -> dict[str, str]:
    """The corpus (once) and a map from names of things to their public ids."""
    with schema_context(tenant.schema_name):
        if ContentItem.objects.exists():
            return {
                **dict(ContentItem.objects.values_list("title", "public_id")),
                **dict(User.objects.values_list("display_name", "public_id")),
                **{
                    f"group:{t}": p
                    for t, p in __import__(
                        "tenant_apps.groups.models", fromlist=["Group"]
                    ).Group.objects.values_list("title", "public_id")
                },
            }
        ids: dict[str, str] = {}
        people = []
        for n in range(100):
            name = f"{GIVEN[n % 10]} {FAMILY[n // 10]}"
            person = user_create(username=f"rel{n}", display_name=name)
            profile_update(
                actor=person,
                person=person,
                department=DEPARTMENTS[n % len(DEPARTMENTS)],
                role="Professor" if n % 7 == 0 else "Student",
            )
            people.append(person)
            ids[name] = person.public_id
        for n, (topic, _) in enumerate(TOPICS):
            group = group_create(
                actor=people[n],
                title=f"{topic.title()} study group",
                description=f"We meet weekly to discuss {topic}.",
            )
            ids[f"group:{group.title}"] = group.public_id
        for n, (topic, body) in enumerate(TOPICS):
            for f, form in enumerate(FORMS):
                title = f"{form}: {topic}"
                item = content_create_document(
                    actor=people[(n * 5 + f) % 100],
                    title=title,
                    description=f"{form.lower()} for the {topic} course",
                    body=f"<p>This {form.lower()} covers {body}.</p>",
                    tags=[topic.replace(" ", "-"), form.split()[0].lower()],
                    visibility="loggedin",
                )
                ids[title] = item.public_id
            link = content_add_link(
                actor=people[n],
                url=f"https://open.example.org/{topic.replace(' ', '-')}/syllabus",
                title=f"{topic.title()} syllabus",
                tags=[topic.replace(" ", "-")],
                visibility="loggedin",
            )
            ids[link.title] = link.public_id
        # Distractors: general items mentioning several topics in passing.
        rng = random.Random(7)
        for n in range(80):
            picks = rng.sample(TOPICS, 3)
            content_create_document(
                actor=people[n],
                title=f"Weekly bulletin {n}",
                body="<p>"
                + " ".join(f"News about {t}: {b}." for t, b in picks)
                + " Room changes and office hours.</p>",
                visibility="loggedin",
            )
        return ids


QUERIES = [
    ("thermodynamics problem set", "Problem set: thermodynamics"),
    ("photosynthesis lab report", "Lab report: photosynthesis"),
    ('"linear algebra" exam', "Exam revision: linear algebra"),
    ("organic chemistry reading", "Reading list: organic chemistry"),
    ("medieval history lecture", "Lecture notes: medieval history"),
    ("macroeconomics syllabus", "Macroeconomics syllabus"),
    ("neuroscience study group", "group:Neuroscience study group"),
    ("plate tectonics problem", "Problem set: plate tectonics"),
    ("machine lerning lecture notes", "Lecture notes: machine learning"),
    ("renaissance art exam revision", "Exam revision: renaissance art"),
    ("quantum mechanics lab", "Lab report: quantum mechanics"),
    ("microbiology reading list", "Reading list: microbiology"),
    ("shakespeare syllabus", "Shakespeare syllabus"),
    ("statistics problem set", "Problem set: statistics"),
    ("astronomy study group", "group:Astronomy study group"),
    ("philosophy of mind lecture", "Lecture notes: philosophy of mind"),
    ("marine ecology lab report", "Lab report: marine ecology"),
    ("cryptography exam", "Exam revision: cryptography"),
    ("volcanology reading", "Reading list: volcanology"),
    ("epidemiology syllabus", "Epidemiology syllabus"),
    ("Chloe Chen", "Chloe Chen"),
    ("Femi Garcia", "Femi Garcia"),
    ("Ivo Jones", "Ivo Jones"),
    ("Hana Evans", "Hana Evans"),
    ("photosynth", "Photosynthesis syllabus"),
    ("thermodinamics syllabus", "Thermodynamics syllabus"),
    ("eigenvalues problem set", "Problem set: linear algebra"),
    ("coral reefs lecture", "Lecture notes: marine ecology"),
    ("open.example.org cryptography", "Cryptography syllabus"),
    ("galaxies telescopes exam revision", "Exam revision: astronomy"),
]


def bench_relevance() -> tuple[float, float]:
    tenant = ensure_tenant("search-relevance")
    started = time.monotonic()
    ids = build_relevance(tenant)
    print(f"  relevance corpus ready in {time.monotonic() - started:.0f}s", flush=True)
    client = viewer_client(tenant)
    reciprocal, top3 = [], 0
    print(f"{'query':<38}{'rank':>6}  first result")
    for query, expected in QUERIES:
        response = client.get("/api/v1/search/", {"q": query, "limit": 20})
        if response.status_code != 200:
            sys.exit(f"{query!r} answered {response.status_code}")
        results = response.json()["results"]
        found = [row["id"] for row in results]
        want = ids[expected]
        rank = found.index(want) + 1 if want in found else 0
        reciprocal.append(1.0 / rank if rank else 0.0)
        top3 += 1 if 0 < rank <= 3 else 0
        first = results[0]["title"] if results else "-"
        print(f"{query:<38}{rank or '-':>6}  {first}")
    mrr = statistics.mean(reciprocal)
    success = top3 / len(QUERIES)
    print(f"relevance: MRR {mrr:.3f} (goal >= 0.8), success@3 {success:.2f} over {len(QUERIES)}")
    return mrr, success


# --- 2. scale ------------------------------------------------------------------------
WORDS = [
    "lecture",
    "notes",
    "course",
    "study",
    "week",
    "student",
    "research",
    "method",
    "theory",
    "data",
    "analysis",
    "result",
    "model",
    "system",
    "process",
    "review",
    "chapter",
    "example",
    "question",
    "answer",
    "problem",
    "practice",
    "reading",
    "paper",
    "journal",
    "article",
    "report",
    "laboratory",
    "experiment",
    "sample",
    "measurement",
    "observation",
    "field",
    "survey",
    "history",
    "culture",
    "society",
    "language",
    "science",
    "biology",
    "chemistry",
    "physics",
    "mathematics",
    "economics",
    "politics",
    "literature",
    "music",
    "art",
]
RARE = "zymurgy"
PHRASE = "quantum field theory"
MISSPELT, CORRECT = "thermodinamics", "thermodynamics"


class _Items(io.RawIOBase):
    """TSV rows of content items (about 2 KB of body each), generated as they are read."""

    def __init__(self, count: int, owner: int, other: int, start: int):
        self.count, self.owner, self.other, self.done, self.start = count, owner, other, 0, start
        self.random, self.buffer = random.Random(start + count), b""
        # Every institution has exactly 10 items with the rare word, whatever its size.
        self.rare_every = max(count // 10, 1)

    def readable(self) -> bool:
        return True

    def _row(self, n: int) -> str:
        rng = self.random
        words = rng.choices(WORDS, k=300)
        if n % 100 == 3:
            position = rng.randrange(290)
            words[position : position + 3] = PHRASE.split()
        if n % self.rare_every == 7:
            words[rng.randrange(300)] = RARE
        title_words = rng.sample(WORDS, 3)
        if n % 100 == 1:
            title_words[1] = CORRECT
        stamp = f"2026-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}:00+00"
        visible = n % 10 != 0  # one item in ten is someone else's private item
        return "\t".join(
            (
                f"c_sb{n:012d}",
                "document",
                " ".join(title_words).capitalize() + f" {n}",
                "",
                "{" + title_words[0] + "}",
                "loggedin" if visible else "private",
                str(self.owner if visible else self.other),
                stamp,
                stamp,
                "",
                "<p>" + " ".join(words) + "</p>",
            )
        )

    def readinto(self, target) -> int:
        while len(self.buffer) < len(target) and self.done < self.count:
            chunk = min(2000, self.count - self.done)
            rows = [self._row(self.start + self.done + i) for i in range(chunk)]
            self.done += chunk
            self.buffer += ("\n".join(rows) + "\n").encode()
        size = min(len(target), len(self.buffer))
        target[:size], self.buffer = self.buffer[:size], self.buffer[size:]
        return size


ITEM_COLUMNS = (
    "public_id",
    "kind",
    "title",
    "description",
    "tags",
    "visibility",
    "created_by_id",
    "created",
    "modified",
    "url",
    "body_html",
)


def _rebuilt_indexes(cursor, names: list[str]):
    """Drop ``names`` for a bulk load and give back a function that recreates them."""
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname = ANY(%s)",
        [names],
    )
    definitions = [row[0] for row in cursor.fetchall()]
    for name in names:
        cursor.execute(f"DROP INDEX IF EXISTS {name}")

    def rebuild() -> None:
        # Django's foreign keys are deferred: check them now, or CREATE INDEX refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for definition in definitions:
            cursor.execute(definition)

    return rebuild


def ensure_scale(slug: str, items: int, people: int) -> Tenant:
    from tests.bench.bench_people import COLUMNS as PEOPLE_COLUMNS
    from tests.bench.bench_people import _Rows as PeopleRows

    tenant = ensure_tenant(slug)
    with schema_context(tenant.schema_name):
        owner = User.objects.filter(username="owner").first() or user_create(
            username="owner", display_name="Owner"
        )
        other = User.objects.filter(username="other").first() or user_create(
            username="other", display_name="Other"
        )
        have_people = User.objects.count()
        with transaction.atomic(), connection.cursor() as cursor:
            # One transaction: a failed load leaves neither rows nor dropped indexes behind.
            if have_people < people:
                started = time.monotonic()
                rebuild = _rebuilt_indexes(cursor, ["people_search_idx", "people_name_trgm_idx"])
                cursor.cursor.copy_expert(
                    f"COPY people_user ({', '.join(PEOPLE_COLUMNS)}) FROM STDIN",
                    io.BufferedReader(
                        PeopleRows(people - have_people, seed=people), buffer_size=1 << 20
                    ),
                )
                rebuild()
                cursor.execute("ANALYZE people_user")
                print(
                    f"  loaded {people - have_people:,} people into {slug} "
                    f"in {time.monotonic() - started:.0f}s",
                    flush=True,
                )
            have = ContentItem.objects.count()
            if have < items:
                started = time.monotonic()
                rebuild = _rebuilt_indexes(cursor, ["content_search_idx", "content_title_trgm_idx"])
                cursor.cursor.copy_expert(
                    f"COPY content_contentitem ({', '.join(ITEM_COLUMNS)}) FROM STDIN",
                    io.BufferedReader(
                        _Items(items - have, owner.pk, other.pk, have), buffer_size=1 << 20
                    ),
                )
                cursor.execute(
                    "INSERT INTO content_share (item_id, user_id, role, created, shared) "
                    "SELECT id, created_by_id, 'manager', created, created "
                    "FROM content_contentitem i "
                    "WHERE NOT EXISTS (SELECT 1 FROM content_share s WHERE s.item_id = i.id)"
                )
                rebuild()
                cursor.execute("ANALYZE content_contentitem")
                cursor.execute("ANALYZE content_share")
                print(
                    f"  loaded {items - have:,} items into {slug} "
                    f"in {time.monotonic() - started:.0f}s",
                    flush=True,
                )
    return tenant


def timed(client: Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}")
    return elapsed


CASES = {
    "common word": "/api/v1/search/?q=lecture",
    "rare word": f"/api/v1/search/?q={RARE}",
    "phrase": "/api/v1/search/?q=%22" + PHRASE.replace(" ", "+") + "%22",
    "misspelling": f"/api/v1/search/?q={MISSPELT}",
    "name search (people)": "/api/v1/search/?q=Chen&type=people",
    "directory name search": "/people/?q=Chen",
}


def bench_scale() -> dict[str, float]:
    clients = {}
    for slug, (items, people) in SIZES.items():
        clients[slug] = viewer_client(ensure_scale(slug, items, people))
    connection.set_schema_to_public()
    small, large = list(SIZES)
    for path in CASES.values():
        for slug in SIZES:
            for _ in range(3):
                timed(clients[slug], path)  # warm-up
    times = {(case, slug): [] for case in CASES for slug in SIZES}
    for _ in range(ROUNDS):
        for case, path in CASES.items():
            for slug in SIZES:
                times[(case, slug)].append(timed(clients[slug], path))
    print()
    print(f"search at scale ({ROUNDS} alternating rounds, median ms)")
    print(f"{'case':<26}{'1k/1k':>10}{'200k/1M':>10}{'ratio':>8}")
    ratios = {}
    for case in CASES:
        a = statistics.median(times[(case, small)]) * 1000
        b = statistics.median(times[(case, large)]) * 1000
        ratios[case] = b / a
        print(f"{case:<26}{a:>10.2f}{b:>10.2f}{b / a:>8.2f}")
    print("goal: 200,000 items / 1,000,000 people within 20% of 1,000 / 1,000 (ratio <= 1.20)")
    return ratios


def main() -> int:
    only = sys.argv[1:]
    if not only or "--relevance-only" in only:
        bench_relevance()
    if not only or "--scale-only" in only:
        bench_scale()
    return 0


if __name__ == "__main__":
    sys.exit(main())
