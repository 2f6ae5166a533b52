from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.adapters.clock import FixedClock
from hospital.adapters.security import jwt_tokens
from hospital.adapters.security.jwt_tokens import WRONG_TYPE, PyJwtTokenService
from hospital.application.errors import InvalidTokenError, TokenExpiredError
from hospital.application.ports.security import TokenType

SECRET = "s" * 64
ISSUER = "hospital-test"
START = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCESS_LIFETIME = timedelta(minutes=5)
REFRESH_LIFETIME = timedelta(days=1)
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def service(clock: FixedClock | None = None, secret: str = SECRET) -> PyJwtTokenService:
    return PyJwtTokenService(
        secret=secret, issuer=ISSUER, access_lifetime=ACCESS_LIFETIME, refresh_lifetime=REFRESH_LIFETIME,
        clock=clock or FixedClock(START),
    )


def valid_payload(**overrides: Any) -> dict[str, Any]:
    now = int(START.timestamp())
    payload = {"iss": ISSUER, "sub": "7", "type": "access", "jti": "a" * 32, "iat": now,
               "exp": now + 300, "ver": 0}
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


def sign(payload: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def sign_raw(payload: Any) -> str:
    """HS256 over any JSON at all, for payloads PyJWT itself would refuse to encode."""
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(payload)}"
    digest = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def refused(token: str, expected_type: TokenType = TokenType.ACCESS, tokens: PyJwtTokenService | None = None,
            ) -> InvalidTokenError:
    with pytest.raises(InvalidTokenError) as caught:
        (tokens or service()).decode(token, expected_type=expected_type)
    return caught.value


@given(
    user_id=st.integers(min_value=0, max_value=2**63 - 1),
    version=st.integers(min_value=0, max_value=2**31),
    token_type=st.sampled_from(TokenType),
)
def test_what_goes_in_comes_out(user_id: int, version: int, token_type: TokenType) -> None:
    tokens = service()
    issued = tokens.issue(user_id=user_id, token_type=token_type, version=version)

    claims = tokens.decode(issued.token, expected_type=token_type)

    assert claims == issued.claims
    assert (claims.user_id, claims.token_type, claims.version) == (user_id, token_type, version)


@given(
    user_id=st.integers(min_value=0, max_value=2**63 - 1),
    version=st.integers(min_value=0, max_value=2**31),
    family=st.one_of(st.none(), st.text(alphabet="0123456789abcdef", min_size=1, max_size=64)),
    seconds=st.integers(min_value=0, max_value=10**9),
)
def test_any_refresh_claims_including_the_family_come_out_as_they_went_in(user_id: int, version: int,
                                                                          family: str | None, seconds: int) -> None:
    tokens = service(FixedClock(START + timedelta(seconds=seconds)))
    issued = tokens.issue(user_id=user_id, token_type=TokenType.REFRESH, version=version, family=family)

    claims = tokens.decode(issued.token, expected_type=TokenType.REFRESH)

    assert claims == issued.claims
    assert claims.family == (family or claims.jti)


_CLAIM_CHANGES = st.sampled_from(["sub", "type", "ver", "exp", "iat", "jti", "iss", "fam"])


@given(claim=_CLAIM_CHANGES, data=st.data())
def test_any_claim_changed_under_the_original_signature_is_refused(claim: str, data: st.DataObject) -> None:
    tokens = service()
    token = tokens.issue(user_id=data.draw(st.integers(0, 10**6)), token_type=TokenType.REFRESH).token
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    # Guard: encoded as PyJWT does, the untouched claims give back the very same token.
    assert f"{header}.{_compact(claims)}.{signature}" == token
    replacement = data.draw(st.one_of(st.integers(0, 2**40), st.text(max_size=40), st.booleans(), st.none())
                            .filter(lambda value: value != claims[claim]), label="replacement")
    claims[claim] = replacement

    refused(f"{header}.{_compact(claims)}.{signature}", TokenType.REFRESH, tokens)


def _compact(claims: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=").decode()


def test_issued_claims_follow_the_clock_and_lifetimes() -> None:
    clock = FixedClock(START)
    tokens = service(clock)

    access = tokens.issue(user_id=1, token_type=TokenType.ACCESS).claims
    refresh = tokens.issue(user_id=1, token_type=TokenType.REFRESH).claims

    assert access.issued_at == refresh.issued_at == START
    assert access.expires_at == START + ACCESS_LIFETIME
    assert refresh.expires_at == START + REFRESH_LIFETIME


def test_wire_format_is_hs256_with_string_subject_and_all_claims() -> None:
    token = service().issue(user_id=42, token_type=TokenType.REFRESH, version=3).token

    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})

    assert header["alg"] == "HS256"
    assert payload["sub"] == "42"
    assert payload["type"] == "refresh"
    assert payload["iss"] == ISSUER
    assert payload["ver"] == 3
    assert len(payload["jti"]) == 32 and int(payload["jti"], 16) >= 0
    assert {"exp", "iat"} <= payload.keys()


def test_every_token_gets_its_own_jti() -> None:
    tokens = service()
    jtis = {tokens.issue(user_id=1, token_type=TokenType.ACCESS).claims.jti for _ in range(50)}
    assert len(jtis) == 50


def test_a_new_refresh_chain_is_its_own_family_and_rotation_keeps_it() -> None:
    tokens = service()
    first = tokens.issue(user_id=1, token_type=TokenType.REFRESH)
    rotated = tokens.issue(user_id=1, token_type=TokenType.REFRESH, family=first.claims.family)

    assert first.claims.family == first.claims.jti
    assert tokens.decode(rotated.token, expected_type=TokenType.REFRESH).family == first.claims.jti
    assert rotated.claims.jti != first.claims.jti


def test_access_tokens_have_no_family() -> None:
    tokens = service()
    issued = tokens.issue(user_id=1, token_type=TokenType.ACCESS)

    assert issued.claims.family == ""
    assert "fam" not in jwt.decode(issued.token, options={"verify_signature": False})
    with pytest.raises(ValueError):
        tokens.issue(user_id=1, token_type=TokenType.ACCESS, family="abc")


def test_missing_version_claim_reads_as_zero() -> None:
    assert service().decode(sign(valid_payload(ver=None)), expected_type=TokenType.ACCESS).version == 0


@pytest.mark.parametrize("bad", [-1, True])
def test_issue_refuses_odd_user_ids_and_versions(bad: Any) -> None:
    with pytest.raises(ValueError):
        service().issue(user_id=bad, token_type=TokenType.ACCESS)
    with pytest.raises(ValueError):
        service().issue(user_id=1, token_type=TokenType.ACCESS, version=bad)


@given(data=st.data())
def test_any_single_character_change_is_refused(data: st.DataObject) -> None:
    tokens = service()
    token = tokens.issue(user_id=data.draw(st.integers(0, 10**9)), token_type=TokenType.ACCESS).token
    position = data.draw(st.integers(0, len(token) - 1), label="position")
    replacement = data.draw(st.sampled_from(BASE64URL + ".=+/ ").filter(lambda c: c != token[position]))

    tampered = token[:position] + replacement + token[position + 1:]

    refused(tampered, tokens=tokens)


def test_the_last_signature_character_cannot_be_swapped_for_an_equivalent_one() -> None:
    # The last base64url character of a 32-byte signature carries 2 spare bits: a lenient decoder reads
    # "...A" and "...B" as the same signature. Only the canonical spelling is accepted.
    tokens = service()
    token = tokens.issue(user_id=1, token_type=TokenType.ACCESS).token
    last = BASE64URL.index(token[-1])
    twin = token[:-1] + BASE64URL[last ^ 1]
    signature, twin_signature = (part.rsplit(".", 1)[1] + "=" for part in (token, twin))
    assert base64.urlsafe_b64decode(signature) == base64.urlsafe_b64decode(twin_signature)

    refused(twin, tokens=tokens)


def test_padded_parts_are_refused() -> None:
    # Older PyJWT releases accept "=" padding and non-canonical spellings; the service never does.
    tokens = service()
    token = tokens.issue(user_id=1, token_type=TokenType.ACCESS).token
    refused(token + "=", tokens=tokens)


def _b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused() -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(valid_payload())}."
    refused(unsigned)
    refused(jwt.encode(valid_payload(), None, algorithm="none"))
    # "none" header in front of a genuine HS256 signature
    genuine = sign(valid_payload())
    refused(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{genuine.split('.', 1)[1]}")


def test_hs512_with_the_same_secret_is_refused() -> None:
    refused(sign(valid_payload(), algorithm="HS512"))


def test_hs256_header_with_hs512_signature_is_refused() -> None:
    genuine = sign(valid_payload())
    other = sign(valid_payload(), algorithm="HS512")
    refused(genuine.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1])


def test_token_signed_with_another_key_is_refused() -> None:
    refused(sign(valid_payload(), key="x" * 64))
    refused(service(secret="y" * 32).issue(user_id=7, token_type=TokenType.ACCESS).token)


def test_a_token_made_by_hand_with_the_right_key_is_accepted() -> None:
    # Guards the refusal tests below: their payloads differ from this one in one claim only.
    claims = service().decode(sign(valid_payload()), expected_type=TokenType.ACCESS)
    assert claims.user_id == 7


def test_expiry_follows_the_injected_clock() -> None:
    clock = FixedClock(START)
    tokens = service(clock)
    token = tokens.issue(user_id=1, token_type=TokenType.ACCESS).token

    clock.advance(ACCESS_LIFETIME - timedelta(seconds=1))
    assert tokens.decode(token, expected_type=TokenType.ACCESS).user_id == 1
    clock.advance(timedelta(seconds=1))  # exp == now: expired, no leeway
    refused(token, tokens=tokens)


def test_an_expired_token_is_told_apart_from_a_forged_one_whether_it_was_seen_before_or_not() -> None:
    clock = FixedClock(START)
    tokens = service(clock)
    seen = tokens.issue(user_id=1, token_type=TokenType.ACCESS).token
    unseen = tokens.issue(user_id=2, token_type=TokenType.REFRESH).token
    tokens.decode(seen, expected_type=TokenType.ACCESS)  # verified once, then kept
    clock.advance(timedelta(days=30))

    for token, token_type in ((seen, TokenType.ACCESS), (unseen, TokenType.REFRESH)):
        with pytest.raises(TokenExpiredError) as expired:
            tokens.decode(token, expected_type=token_type)
        assert expired.value.message == f"The {token_type.value} token expired"
    forged = sign(valid_payload(iat=int(START.timestamp()) - 100, exp=int(START.timestamp()) - 10), key="k" * 40)
    with pytest.raises(InvalidTokenError) as refused_forgery:
        tokens.decode(forged, expected_type=TokenType.ACCESS)
    assert not isinstance(refused_forgery.value, TokenExpiredError)


def test_a_token_issued_in_the_future_is_refused() -> None:
    clock = FixedClock(START)
    tokens = service(clock)
    token = tokens.issue(user_id=1, token_type=TokenType.ACCESS).token
    clock.advance(timedelta(seconds=-1))
    refused(token, tokens=tokens)


def test_future_nbf_is_refused_and_past_nbf_accepted() -> None:
    now = int(START.timestamp())
    refused(sign(valid_payload(nbf=now + 1)))
    assert service().decode(sign(valid_payload(nbf=now)), expected_type=TokenType.ACCESS).user_id == 7


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "jti", "type", "iss"])
def test_a_missing_required_claim_is_refused(claim: str) -> None:
    refused(sign(valid_payload(**{claim: None})))


@pytest.mark.parametrize("overrides", [
    {"iss": "someone-else"},
    {"iss": ["hospital-test"]},
    {"sub": "abc"},
    {"sub": "-1"},
    {"sub": "007"},
    {"sub": " 7"},
    {"sub": "7.0"},
    {"sub": "٧"},  # an Arabic-Indic seven: int() would take it
    {"sub": 7},  # RFC 7519: sub is a string
    {"sub": "9" * 5000},
    {"jti": ""},
    {"jti": 5},
    {"exp": "soon"},
    {"exp": 10**30},
    {"exp": 1.5e12},
    {"iat": True},
    {"nbf": "later"},
    {"ver": -1},
    {"ver": "1"},
    {"fam": 3},
    {"aud": "someone"},
])
def test_malformed_claims_are_refused(overrides: dict[str, Any]) -> None:
    refused(sign_raw(valid_payload(**overrides)))


def test_hand_signed_tokens_are_otherwise_accepted() -> None:
    # The malformed-claims cases differ from this one in a single claim.
    assert service().decode(sign_raw(valid_payload()), expected_type=TokenType.ACCESS).user_id == 7


@pytest.mark.parametrize("payload", [[1, 2], "text", 7, None])
def test_a_payload_that_is_not_an_object_is_refused(payload: Any) -> None:
    refused(sign_raw(payload))


def test_refresh_token_is_refused_where_access_is_expected_and_the_reverse() -> None:
    tokens = service()
    refresh = tokens.issue(user_id=1, token_type=TokenType.REFRESH).token
    access = tokens.issue(user_id=1, token_type=TokenType.ACCESS).token

    assert refused(refresh, TokenType.ACCESS, tokens).message == "Token has wrong type"
    assert refused(access, TokenType.REFRESH, tokens).message == "Token has wrong type"


def test_unknown_token_type_is_refused() -> None:
    assert refused(sign(valid_payload(type="id"))).message == "Token has wrong type"


@pytest.mark.parametrize("garbage", [
    "", ".", "..", "a.b.c", "not a token", "Bearer x", "🙂.🙂.🙂", "a" * 10_000, "\x00", "a.b",
    "a.b.c.d", "e30.e30.", "e30.e30.e30",
])
def test_garbage_is_refused(garbage: str) -> None:
    refused(garbage)


def test_deeply_nested_header_json_is_refused_not_crashed() -> None:
    header = base64.urlsafe_b64encode(b"[" * 3000).rstrip(b"=").decode()
    refused(f"{header}.{_b64(valid_payload())}.AAAA")


@given(st.text(max_size=300))
def test_arbitrary_text_only_ever_raises_invalid_token(text: str) -> None:
    refused(text)


@pytest.mark.parametrize("secret", ["", "x" * 31, "é" * 15 + "x"])
def test_secrets_under_32_bytes_are_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        service(secret=secret)


def test_a_32_byte_secret_is_enough_counting_bytes_not_characters() -> None:
    assert service(secret="é" * 16).issue(user_id=1, token_type=TokenType.ACCESS).token


def test_issue_uses_whole_seconds_from_the_clock() -> None:
    clock = FixedClock(START + timedelta(microseconds=999_999))
    claims = service(clock).issue(user_id=1, token_type=TokenType.ACCESS).claims
    assert claims.issued_at == START
    assert claims.expires_at == START + ACCESS_LIFETIME


def test_a_token_already_verified_still_expires_still_waits_for_nbf_and_still_has_its_type() -> None:
    clock = FixedClock(START)
    tokens = service(clock)
    now = int(START.timestamp())
    token = sign(valid_payload(nbf=now + 10, exp=now + 20))
    refused(token, tokens=tokens)  # not yet valid: not remembered either
    clock.advance(timedelta(seconds=10))
    assert tokens.decode(token, expected_type=TokenType.ACCESS).user_id == 7
    assert tokens.decode(token, expected_type=TokenType.ACCESS).user_id == 7  # remembered
    assert refused(token, TokenType.REFRESH, tokens=tokens).message == WRONG_TYPE
    clock.advance(timedelta(seconds=-1))
    refused(token, tokens=tokens)  # the clock went back before nbf
    clock.advance(timedelta(seconds=11))
    refused(token, tokens=tokens)  # exp == now


def test_remembered_tokens_are_bounded_and_each_string_is_verified_on_its_own(monkeypatch) -> None:
    monkeypatch.setattr(jwt_tokens, "VERIFIED_CACHE_SIZE", 3)
    tokens = service()
    issued = [tokens.issue(user_id=n, token_type=TokenType.ACCESS).token for n in range(5)]
    for n, token in enumerate(issued):
        assert tokens.decode(token, expected_type=TokenType.ACCESS).user_id == n
    assert len(tokens._verified) == 3
    assert [tokens.decode(token, expected_type=TokenType.ACCESS).user_id for token in issued] == list(range(5))
    head, payload, signature = issued[0].split(".")
    refused(f"{head}.{payload}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}", tokens=tokens)
