"""Reads about people and tokens."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from config.db.lookups import ContainsCaseless
from config.db.prepared import planned_for_values
from config.db.shapes import shapes
from config.keyset import page_after
from tenant_apps.people.caches import token_cache, user_cache
from tenant_apps.people.models import PROFILE_FIELDS, AccessToken, User, Visibility
from tenant_apps.people.services import token_hash


def user_for_session(pk: int | str) -> User | None:
    """The user a session or token names (a copy of the row, whatever its state), or None.

    No query on a warm process (people.caches); one otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None
    return user_cache.get(key, lambda: User.objects.filter(pk=key).first())


def token_for_secret(raw: str) -> AccessToken | None:
    """The live token (not revoked, not expired, its user active) for a secret, or None.

    No query on a warm process (the token and its user are cached: people.caches); one
    otherwise (the token joined with its user). A revoked token is never cached.
    """
    key = token_hash(raw)
    loaded: dict[str, User] = {}

    def load() -> AccessToken | None:
        row = (
            AccessToken.objects.select_related("user")
            .filter(key_hash=key, revoked__isnull=True)
            .first()
        )
        if row is not None:
            # The cached token keeps no user: the user comes from the user cache, so
            # that deactivating someone reaches their tokens too.
            loaded["user"] = row._state.fields_cache.pop("user")
        return row

    token = token_cache.get(key, load)
    if token is None or token.revoked is not None:
        return None
    if token.expires is not None and token.expires <= timezone.now():
        return None
    user = user_cache.get(
        token.user_id,
        lambda: loaded.get("user") or User.objects.filter(pk=token.user_id).first(),
    )
    if user is None or not user.is_active:
        return None
    token.user = user
    return token


# --- profiles and the directory ---------------------------------------------------
def _is_admin(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_active and viewer.is_staff)


def visibilities_for(viewer) -> tuple[str, ...]:
    """The visibility levels ``viewer`` may see on other people's profiles.

    Being authenticated on an institution's host means being one of its members:
    accounts, sessions and tokens exist only in the institution's own schema.
    """
    if getattr(viewer, "is_authenticated", False):
        return (Visibility.PUBLIC, Visibility.LOGGEDIN)
    return (Visibility.PUBLIC,)


def people_visible_to(viewer) -> QuerySet[User]:
    """Active people whose display name ``viewer`` may see (everyone for admins, and oneself)."""
    people = User.objects.filter(is_active=True)
    if _is_admin(viewer):
        return people
    visible = Q(display_name_visibility__in=visibilities_for(viewer))
    if getattr(viewer, "is_authenticated", False):
        visible |= Q(pk=viewer.pk)
    return people.filter(visible)


def people_directory(*, viewer, query: str = "") -> QuerySet[User]:
    """The directory: listed people visible to ``viewer``, by name; searching visible names only."""
    # people_visible_to's rows, listed ones only; one condition built once (each filter()
    # clones and resolves the query again: a quarter of this small read's time in Python).
    conditions = Q(is_active=True, listed_in_directory=True)
    if not _is_admin(viewer):
        # Never list someone by a name the viewer may not see (which also covers
        # people_visible_to's "or oneself": the directory lists no one by a hidden name).
        conditions &= Q(display_name_visibility__in=visibilities_for(viewer))
    if query:
        # ILIKE, which the name's trigram index serves (icontains' UPPER() it cannot).
        conditions &= Q(ContainsCaseless(F("display_name"), query.strip()))
    people = User.objects.filter(conditions)
    if query:
        # A name search is planned for its words, never as a prepared statement: a generic
        # plan made for one kind of word (frequent, rare) reads the whole directory for the
        # other (README, "Prepared statements").
        people = planned_for_values(people)
    return people.only(
        "public_id",
        "display_name",
        "picture_sha256",
        *PROFILE_FIELDS,
        *(f"{field}_visibility" for field in PROFILE_FIELDS),
    )


def _sees_everything(viewer, person_pk: int | None) -> bool:
    """Whether ``viewer`` sees every field of the person ``person_pk`` (self and admins)."""
    return _is_admin(viewer) or bool(
        getattr(viewer, "is_authenticated", False) and viewer.pk == person_pk
    )


def profile_for(viewer, person: User) -> dict:
    """The fields of ``person``'s profile ``viewer`` may see (all of them for self and admins)."""
    everything = _sees_everything(viewer, person.pk)
    allowed = visibilities_for(viewer)
    profile = {"id": person.public_id}
    for field in PROFILE_FIELDS:
        if everything or getattr(person, f"{field}_visibility") in allowed:
            profile[field] = getattr(person, field)
    # The picture shows the person as plainly as their name: it follows the name's visibility.
    if person.picture_sha256 and "display_name" in profile:
        profile["picture"] = f"/people/{person.public_id}/picture?v={person.picture_sha256[:16]}"
    return profile


# What a directory card needs of a person, read as columns (``profiles_of_rows``).
PROFILE_COLUMNS = (
    "id",
    "public_id",
    "picture_sha256",
    *PROFILE_FIELDS,
    *(f"{field}_visibility" for field in PROFILE_FIELDS),
)


def profiles_of_rows(viewer, rows: list[dict]) -> list[dict]:
    """``profile_for`` of each person read as columns (``PROFILE_COLUMNS``), not as a model:
    the same dicts, by the same rule, the viewer's part of it worked out once."""
    admin = _is_admin(viewer)
    me = viewer.pk if getattr(viewer, "is_authenticated", False) else None
    allowed = visibilities_for(viewer)
    profiles = []
    for row in rows:
        everything = admin or (me is not None and me == row["id"])
        profile = {"id": row["public_id"]}
        for field in PROFILE_FIELDS:
            if everything or row[f"{field}_visibility"] in allowed:
                profile[field] = row[field]
        if row["picture_sha256"] and "display_name" in profile:
            profile["picture"] = (
                f"/people/{row['public_id']}/picture?v={row['picture_sha256'][:16]}"
            )
        profiles.append(profile)
    return profiles


def profiles_rule_key(viewer, rows: list[dict]) -> tuple:
    """Everything ``profiles_of_rows(viewer, rows)`` depends on besides ``rows``: whether
    the viewer is an admin, is signed in, and which of the rows (if any) is the viewer."""
    signed_in = bool(getattr(viewer, "is_authenticated", False))
    me = viewer.pk if signed_in else None
    return (_is_admin(viewer), signed_in, me if any(row["id"] == me for row in rows) else None)


def directory_first_page(viewer, size: int) -> tuple[list[dict], str | None]:
    """The directory's first page without a search: ``people_page`` of ``people_directory``
    as profiles (``profile_for`` of each) and the public id to continue after."""
    rows, after = directory_first_rows(viewer, size)
    return profiles_of_rows(viewer, rows), after


def directory_first_rows(viewer, size: int) -> tuple[list[dict], str | None]:
    """``directory_first_page``'s people as rows of ``PROFILE_COLUMNS`` (``profiles_of_rows``
    makes them profiles). Its SQL is learned once per process (the same for every viewer
    with the same flags: it names no one), its rows read as columns."""
    rows = shapes.rows(
        ("people-directory", size),
        viewer,
        lambda who: (
            people_directory(viewer=who)
            .order_by("display_name", "id")
            .values(*PROFILE_COLUMNS)[: size + 1]
        ),
    )
    more = len(rows) > size
    rows = rows[:size]
    return rows, rows[-1]["public_id"] if more else None


def tokens_of(user: User) -> QuerySet[AccessToken]:
    return AccessToken.objects.filter(user=user, revoked__isnull=True).order_by("-created", "-id")


def people_page(
    people: QuerySet[User], *, after: str | None, size: int
) -> tuple[list[User], str | None]:
    """One keyset page of ``people`` by (display name, id) after the person ``after``."""
    return page_after(people, order=("display_name", "id"), after=after, size=size)


# The columns profile_for and person_summary read: whoever shows a person beside
# something else (an item's creator, a comment's author, a share) selects only these.
SUMMARY_COLUMNS = frozenset(
    {
        "id",
        "public_id",
        "picture_sha256",
        *PROFILE_FIELDS,
        *(f"{field}_visibility" for field in PROFILE_FIELDS),
    }
)


def person_columns_deferred(relation: str) -> list[str]:
    """``relation``'s user columns that no summary reads (password, e-mail, search vector...),
    for ``QuerySet.defer``: a list of items or comments does not pull every user column."""
    return [
        f"{relation}__{field.name}"
        for field in User._meta.concrete_fields
        if field.name not in SUMMARY_COLUMNS and field.attname not in SUMMARY_COLUMNS
    ]


# A person's columns ``summary_of_columns`` reads (``.values()`` names under a relation).
SUMMARY_VALUES = ("id", "public_id", "display_name", "display_name_visibility")


def summary_of_columns(
    viewer, *, pk: int, public_id: str, display_name: str, display_name_visibility: str
) -> dict:
    """``person_summary`` of a person read as columns (``SUMMARY_VALUES``), not as a model:
    the same dict, by the same rule (``profile_for``'s)."""
    if _sees_everything(viewer, pk) or display_name_visibility in visibilities_for(viewer):
        return {"id": public_id, "display_name": display_name}
    return {"id": public_id}


def summary_rule(viewer):
    """``summary_of_columns`` for one ``viewer``, the viewer's part of the rule worked out
    once (a page that names 30 people asks it 30 times)."""
    admin = _is_admin(viewer)
    me = viewer.pk if getattr(viewer, "is_authenticated", False) else None
    allowed = visibilities_for(viewer)

    def summary(*, pk: int, public_id: str, display_name: str, display_name_visibility: str):
        if admin or (me is not None and me == pk) or display_name_visibility in allowed:
            return {"id": public_id, "display_name": display_name}
        return {"id": public_id}

    return summary


def person_summary(viewer, person: User) -> dict:
    """A person in a list (members, connections, message participants, authors): their
    public id and their display name when ``viewer`` may see it - never a username or an
    e-mail."""
    profile = profile_for(viewer, person)
    return {key: profile[key] for key in ("id", "display_name") if key in profile}
