"""/api/user/profiles: list, create, me, and {id} get/put/patch/delete."""

from __future__ import annotations

import contextlib
import re
from datetime import date

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath
from msgspec import UNSET

from hospital.application.ports.accounts import ProfileView
from hospital.application.profiles import ProfileChanges
from hospital.domain.errors import ValidationError
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.media import media_url
from hospital.entrypoints.http.pagination import Paginated, page_request, paginated
from hospital.entrypoints.http.params import LimitsParam, PageParam, SearchParam
from hospital.entrypoints.http.schemas.accounts import ProfileOut, ProfileWrite, UserOut

TAGS = ["User profiles"]
PATH = "/api/user/profiles/"
ITEM = "/api/user/profiles/{profile_id:int}/"
ProfileId = FromPath[int]
WRITE_DOC = openapi.body(ProfileWrite, files=("profile_picture",), required=False, item=ITEM)


def render(request: Request, profile: ProfileView) -> ProfileOut:
    return ProfileOut(
        id=profile.id, user=UserOut.of(profile.user), bio=profile.bio, address=profile.address,
        date_of_birth=profile.date_of_birth, profile_picture=media_url(request, profile.profile_picture),
        created_at=profile.created_at, updated_at=profile.updated_at,
    )


# YYYY-MM-DD only: date.fromisoformat() also takes "19900101" and week dates, which the original refused.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WRONG_DATE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."


def _parse_date(text: str) -> date:
    text = text.strip()
    if _DATE.fullmatch(text):
        with contextlib.suppress(ValueError):  # a well-formed but impossible date, such as 1990-02-30
            return date.fromisoformat(text)
    raise ValidationError.field("date_of_birth", WRONG_DATE)


def _or_none(value):
    return None if value is UNSET else value


async def _changes(request: Request) -> ProfileChanges:
    body = await read_body(request)
    data = to_struct(ProfileWrite, body)
    birth: date | None = None
    clear = False
    if data.date_of_birth is None or data.date_of_birth == "":
        clear = True
    elif data.date_of_birth is not UNSET:
        birth = _parse_date(data.date_of_birth)
    return ProfileChanges(
        username=_or_none(data.username), email=_or_none(data.email),
        first_name=_or_none(data.first_name), last_name=_or_none(data.last_name),
        bio=_or_none(data.bio), address=_or_none(data.address), date_of_birth=birth,
        clear_date_of_birth=clear, profile_picture=body.files.get("profile_picture"),
    )


@get(PATH, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 404), summary="List profiles")
async def list_profiles(request: Request, container: Services, actor: CurrentActor, page: PageParam = None,
                        limits: LimitsParam = None, search: SearchParam = None) -> Paginated[ProfileOut]:
    result = await container.list_profiles()(actor, page=page_request(request), search=search or "")
    return paginated(request, result, lambda profile: render(request, profile))


@post(PATH, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC, status_code=201,
      responses=openapi.errors(400, 401), summary="Create your own profile")
async def create_profile(request: Request, container: Services, actor: CurrentActor) -> ProfileOut:
    changes = await _changes(request)
    return render(request, await container.create_profile()(actor, changes))


@get("/api/user/profiles/me/", tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 404),
     summary="The caller's profile")
async def my_profile(request: Request, container: Services, actor: CurrentActor) -> ProfileOut:
    return render(request, await container.get_my_profile()(actor))


@get(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 404), summary="Get a profile")
async def get_profile(request: Request, container: Services, actor: CurrentActor, profile_id: ProfileId) -> ProfileOut:
    return render(request, await container.get_profile()(actor, profile_id))


@put(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC,
     responses=openapi.errors(401, 403, 404, 409), summary="Update a profile")
async def put_profile(request: Request, container: Services, actor: CurrentActor, profile_id: ProfileId) -> ProfileOut:
    return render(request, await container.update_profile()(actor, profile_id, await _changes(request)))


@patch(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC,
       responses=openapi.errors(401, 403, 404, 409), summary="Partially update a profile")
async def patch_profile(request: Request, container: Services, actor: CurrentActor,
                        profile_id: ProfileId) -> ProfileOut:
    return render(request, await container.update_profile()(actor, profile_id, await _changes(request)))


@delete(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404, 409),
        summary="Delete a profile")
async def delete_profile(container: Services, actor: CurrentActor, profile_id: ProfileId) -> None:
    await container.delete_profile()(actor, profile_id)


HANDLERS = [list_profiles, create_profile, my_profile, get_profile, put_profile, patch_profile, delete_profile]
